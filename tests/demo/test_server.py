"""The fleet server: bound to 127.0.0.1, latency added server-side, faults as real AWS errors."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from audit.demo.model import AUDIT_ROLE
from audit.demo.server import Faults, FleetServer, access_denied


def test_binds_loopback_only(fleet):
    assert fleet.endpoint_url.startswith("http://127.0.0.1:")
    host, port = fleet.server._server.server_address[:2]
    assert host == "127.0.0.1" and port == fleet.server.port


def test_assume_role_into_denied_account_is_access_denied(fleet, assume_in):
    denied = fleet.faults["assume_role_denied"]
    assert len(denied) == 1
    with pytest.raises(ClientError) as err:
        assume_in(fleet, denied[0])
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"arn:aws:iam::{denied[0]}:role/{AUDIT_ROLE}" in err.value.response["Error"]["Message"]
    # every other account can be assumed and answers
    ok = next(a for a in fleet.account_ids if a not in denied)
    assert assume_in(fleet, ok).client("sts", endpoint_url=fleet.endpoint_url).get_caller_identity()["Account"] == ok


def test_denied_service_region_answers_access_denied_everything_else_works(fleet, assume_in):
    [(account, region, service)] = fleet.faults["denied"]
    session = assume_in(fleet, account, region)
    with pytest.raises(ClientError) as err:
        session.client(service, endpoint_url=fleet.endpoint_url).list_functions()
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    other_region = next(r for r in fleet.model.regions if r != region)
    session.client(service, endpoint_url=fleet.endpoint_url, region_name=other_region).list_functions()
    stacks = session.client("cloudformation", endpoint_url=fleet.endpoint_url).describe_stacks()["Stacks"]
    assert stacks  # the same account and region still answer for other services


def test_latency_is_added_server_side_per_request(fleet):
    """A second server on the same moto state, with 300 ms latency: every call pays it."""
    slow = FleetServer(latency_ms=300).start()
    try:
        cfg = Config(retries={"max_attempts": 1})
        fast_sts = boto3.client("sts", endpoint_url=fleet.endpoint_url, region_name="us-east-1", config=cfg)
        slow_sts = boto3.client("sts", endpoint_url=slow.url, region_name="us-east-1", config=cfg)
        fast_sts.get_caller_identity(), slow_sts.get_caller_identity()  # connections and models warm

        def timed(client) -> float:
            t0 = time.perf_counter()
            for _ in range(4):
                client.get_caller_identity()
            return (time.perf_counter() - t0) / 4

        fast, slow_t = timed(fast_sts), timed(slow_sts)
        assert slow_t >= 0.3
        assert slow_t - fast >= 0.2
        slow.set_latency(0)
        assert timed(slow_sts) < 0.3
    finally:
        slow.stop()


def test_fault_layer_is_configurable_and_seeding_requests_pass(fleet):
    server = FleetServer(faults=Faults(assume_role_denied=frozenset({"111122223333"}))).start()
    try:
        sts = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1")
        with pytest.raises(ClientError):
            sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/Any", RoleSessionName="blocked")
        server.set_faults(Faults())
        assert sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/Any", RoleSessionName="allowed")
    finally:
        server.stop()


@pytest.mark.parametrize("protocol", ["query", "json", "rest-json", "rest-xml", "ec2"])
def test_access_denied_shapes_parse_in_botocore(protocol):
    """The hand-made error bodies are what botocore's parsers expect for each wire protocol."""
    from botocore import parsers

    status, headers, body = access_denied(protocol, "nope <here>")
    parser = parsers.create_parser(protocol)
    shape = None
    response = {"status_code": int(status.split()[0]), "headers": dict(headers), "body": body}
    parsed = parser.parse(response, shape)
    assert parsed["Error"]["Code"] in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
    assert parsed["Error"]["Message"] == "nope <here>"
