"""The fault-injection layer: a small validated spec, real AWS error bodies per protocol over HTTP,
deterministic given a seed, and `fleet serve --faults` refusing a bad spec with exit 2."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from botocore import parsers
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from botocore.retries.standard import ThrottledRetryableChecker

from audit.demo import wire
from audit.demo.inject import FaultSpec, parse_faults
from audit.errors import ConfigError

ONE_TRY = Config(retries={"mode": "standard", "max_attempts": 1})


def test_spec_parses_and_prints_back():
    spec = parse_faults("deny=codepipeline:GetPipeline, deny=ecs:DescribeClusters,throttle=20%,5xx=0.05,"
                        "stall=1%:2.5,die-after=400,seed=7")
    assert spec == FaultSpec(deny=frozenset({("codepipeline", "GetPipeline"), ("ecs", "DescribeClusters")}),
                             throttle=0.2, server_errors=0.05, stall=0.01, stall_seconds=2.5, die_after=400, seed=7)
    assert parse_faults(str(spec)) == spec
    scp = parse_faults("scp-deny-region=eu-west-1,scp-deny-region=ap-south-1")
    assert scp.scp_deny_regions == frozenset({"eu-west-1", "ap-south-1"}) and scp.active
    assert parse_faults(str(scp)) == scp
    hot = parse_faults("throttle-account=111122223333,throttle-account=444455556666")
    assert hot.throttle_accounts == frozenset({"111122223333", "444455556666"}) and hot.active
    assert parse_faults(str(hot)) == hot
    assert not parse_faults("").active and parse_faults("seed=3").seed == 3


@pytest.mark.parametrize(("text", "says"), [
    ("throttle=1.5", "at most 1"), ("throttle=abc", "fraction"), ("5xx=-1%", "fraction"),
    ("deny=codepipeline", "SERVICE:Operation"), ("deny=nosuchservice:Get", "unknown AWS service"),
    ("deny=codepipeline:DropEverything", "no operation"), ("stall=10%", "FRACTION:SECONDS"),
    ("stall=10%:0", "seconds"), ("die-after=-3", "negative"), ("die-after=x", "invalid literal"),
    ("scp-deny-region=Europe", "not an AWS region"), ("scp-deny-region=", "key=value"),
    ("throttle-account=1234", "12-digit"),
    ("explode=1", "unknown item"), ("throttle", "key=value"), ("throttle=60%,5xx=50%", "more than 100%"),
])
def test_bad_spec_is_one_config_error_naming_the_item(text, says):
    with pytest.raises(ConfigError) as err:
        parse_faults(text)
    assert str(err.value).startswith("--faults: ") and says in str(err.value)
    assert "\n" not in str(err.value)


def test_fleet_serve_with_a_bad_spec_exits_2_before_starting(tmp_path):
    out = tmp_path / "fleet"
    proc = subprocess.run([sys.executable, "-m", "audit", "fleet", "serve", "--port", "0", "--out", str(out),
                           "--faults", "throttle=150%"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith("--faults: 'throttle=150%': a fraction is at most 1 "
                                                         "(100%), got '150%'")
    assert not out.exists()


@pytest.mark.parametrize("name", wire.FLEET_SERVICES)
def test_throttling_and_5xx_bodies_are_what_botocore_retries(name):
    """Each service's throttling answer parses to a code botocore's standard retry mode treats as
    throttling, and its 5xx answers to a retryable status with the service's own code."""
    svc = wire.service(name)
    parser = parsers.create_parser(svc.protocol)
    for answer, codes in [(wire.throttled(svc), set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)),
                          (wire.unavailable(svc, 500), {"InternalFailure", "InternalError"}),
                          (wire.unavailable(svc, 503), {"ServiceUnavailable", "Unavailable"})]:
        status, headers, body = answer
        parsed = parser.parse({"status_code": int(status.split()[0]), "headers": dict(headers), "body": body}, None)
        assert parsed["Error"]["Code"] in codes, (name, parsed)
    expected = {"s3": "SlowDown", "ec2": "RequestLimitExceeded", "lambda": "TooManyRequestsException",
                "cloudwatch": "Throttling"}
    status, headers, body = wire.throttled(svc)
    code = parser.parse({"status_code": int(status.split()[0]), "headers": dict(headers), "body": body},
                        None)["Error"]["Code"]
    default = {"json": "ThrottlingException", "query": "Throttling", "rest-xml": "Throttling"}
    assert code == expected.get(name, default.get(svc.protocol, code))


@pytest.mark.parametrize(("method", "path", "query", "service", "operation"), [
    ("GET", "/", "", "s3", "ListBuckets"), ("GET", "/b", "tagging=", "s3", "GetBucketTagging"),
    ("GET", "/b", "location=", "s3", "GetBucketLocation"), ("GET", "/b", "website=", "s3", "GetBucketWebsite"),
    ("GET", "/2020-05-31/distribution", "", "cloudfront", "ListDistributions"),
    ("GET", "/2017-03-31/tags/arn:aws:lambda:eu-west-1:1:function:f", "", "lambda", "ListTags"),
    ("GET", "/clusters/c1", "", "eks", "DescribeCluster"), ("GET", "/v2/apis", "", "apigatewayv2", "GetApis"),
    ("GET", "/restapis", "", "apigateway", "GetRestApis"),
])
def test_rest_operations_are_found_from_the_model(method, path, query, service, operation):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    svc, op = wire.operation_of(environ, b"", wire.service(service).signing_name)
    assert (svc.name, op) == (service, operation)


def _account(fleet) -> str:
    return next(a for a in fleet.account_ids if a not in fleet.faults["assume_role_denied"])


def test_deny_one_operation_over_http(fleet, assume_in):
    session = assume_in(fleet, _account(fleet), fleet.model.regions[0])
    cp = session.client("codepipeline", endpoint_url=fleet.endpoint_url, config=ONE_TRY)
    s3 = session.client("s3", endpoint_url=fleet.endpoint_url, config=ONE_TRY)
    names = [p["name"] for p in cp.list_pipelines()["pipelines"]]
    assert names
    with fleet.inject("deny=codepipeline:GetPipeline,deny=s3:GetBucketTagging") as stats:
        assert [p["name"] for p in cp.list_pipelines()["pipelines"]] == names  # other operations answer
        with pytest.raises(ClientError) as err:
            cp.get_pipeline(name=names[0])
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "codepipeline:GetPipeline" in err.value.response["Error"]["Message"]
        bucket = s3.list_buckets()["Buckets"][0]["Name"]
        with pytest.raises(ClientError) as err:
            s3.get_bucket_tagging(Bucket=bucket)
        assert err.value.response["Error"]["Code"] == "AccessDenied"
        assert stats.denied == 2 and stats.operations[("codepipeline", "GetPipeline")] == 1
    assert cp.get_pipeline(name=names[0])["pipeline"]["name"] == names[0]  # the block's end lifts it


def test_throttle_5xx_and_stall_are_real_errors_and_deterministic(fleet, assume_in):
    session = assume_in(fleet, _account(fleet), fleet.model.regions[0])
    ecs = session.client("ecs", endpoint_url=fleet.endpoint_url, config=ONE_TRY)
    iam = session.client("iam", endpoint_url=fleet.endpoint_url, config=ONE_TRY)

    def fates(spec: str) -> list[str]:
        out = []
        with fleet.inject(spec):
            for _ in range(12):
                for call in (ecs.list_clusters, iam.list_roles):
                    try:
                        call()
                        out.append("ok")
                    except ClientError as exc:
                        out.append(exc.response["Error"]["Code"])
        return out

    half = fates("throttle=50%,seed=1")
    assert set(half) == {"ok", "ThrottlingException", "Throttling"}  # JSON and query protocol codes
    assert fates("throttle=50%,seed=1") == half  # the same seed, the same fates
    assert fates("throttle=50%,seed=2") != half
    assert set(fates("5xx=100%")) == {"InternalFailure", "ServiceUnavailable"}
    with fleet.inject("stall=100%:0.4"):
        t0 = time.perf_counter()
        ecs.list_clusters()
        assert time.perf_counter() - t0 >= 0.4


def test_die_after_n_requests_drops_every_later_connection(fleet, assume_in):
    session = assume_in(fleet, _account(fleet), fleet.model.regions[0])
    ecs = session.client("ecs", endpoint_url=fleet.endpoint_url, config=ONE_TRY)
    with fleet.inject("die-after=2") as stats:
        ecs.list_clusters(), ecs.list_clusters()
        for _ in range(2):
            with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
                ecs.list_clusters()
        assert stats.dropped >= 2  # (urllib3 may retry a dropped connection once by itself)
    assert "clusterArns" in ecs.list_clusters()  # alive again once the block ends
