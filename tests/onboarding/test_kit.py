"""The onboarding kit from real inventories: the session fleet's crawl (linted with cfn-lint, planned
per client, deployed into a fresh fleet account and crawled back), and hand-built accounts with
hostile names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from audit.analysis.baseline import baseline, baseline_items
from audit.analysis.frames import load_inventory
from audit.analysis.onboarding import onboarding_table, shapes
from audit.aws.crawler import crawl
from audit.cli import cli
from audit.config import load_accounts
from audit.demo.model import TOOLING_ACCOUNT
from audit.onboarding.kit import FILES, build_kit
from audit.onboarding.plan import STACK_SET
from audit.onboarding.template import build
from audit.options import CrawlOptions
from audit.store.schema import to_arrow
from audit.store.snapshots import open_snapshot

NEW_ACCOUNT, NEW_CLIENT = "999000111222", "newco"


@pytest.fixture(scope="module")
def kit(fleet_snapshot) -> Any:
    return build_kit(open_snapshot(fleet_snapshot.snapshot_dir), organization=False)


def test_the_fleets_kit_passes_cfn_lint_and_cites_its_accounts(kit) -> None:
    assert not kit.nothing and kit.errors == []
    body = yaml.safe_load(kit.files["baseline.yaml"])
    resources = body["Resources"]
    assert {r["Type"] for r in resources.values()} >= {"AWS::IAM::Role", "AWS::S3::Bucket", "AWS::CloudWatch::Alarm",
                                                       "AWS::IAM::OIDCProvider"}
    for logical, r in resources.items():
        meta = r["Metadata"]["cicd-audit"]
        assert meta["learnt_from"] and 0.6 <= meta["coverage"] <= 1.0, logical
    assert kit.files["baseline.yaml"].count("\n  # ") >= len(resources)  # a citing comment above each
    # parameterised by client name, account and tooling account: no client's name or account id is
    # written into a resource's properties
    assert {"ClientName", "PrimaryRegion", "ToolingAccountId"} <= set(body["Parameters"])
    plan = json.loads(kit.files["plan.json"])
    literal = json.dumps([r["Properties"] for r in resources.values()])
    for c in plan["clients"]:
        assert c["client"] not in literal and c["account_id"] not in literal, c["client"]
    assert body["Parameters"]["ToolingAccountId"]["Default"] == TOOLING_ACCOUNT


def test_the_plan_shows_each_client_what_it_lacks(kit) -> None:
    plan = json.loads(kit.files["plan.json"])
    lacking = [(c, i) for c in plan["clients"] for i in c["items"] if i["status"] == "lacks" and i["logical_id"]]
    assert lacking, "the demo fleet has clients without some baseline items"
    client, item = lacking[0]
    section = kit.files["plan.md"].split(f"### {client['client']} (")[1].split("\n### ")[0]
    assert f"| lacks | {item['item_kind']}: {item['item']}".replace("[", "\\[").replace("]", "\\]") in section
    assert client["adds"] == sum(1 for i in client["items"] if i["status"] == "lacks" and i["logical_id"])
    assert "create-stack-instances" in kit.files["plan.md"] and "--import-existing-resources" in kit.files["plan.md"]
    assert "SELF_MANAGED" in kit.files["plan.md"]
    # a client whose artifacts bucket differs from the majority keeps its own value in its preview
    keeping = [c for c in plan["clients"] if c["keeps"]]
    assert keeping, "the fleet seeds a client whose artifacts bucket differs"
    for c in keeping:
        line = next(ln for ln in kit.files["plan.md"].splitlines()
                    if "create-change-set" in ln and f"ParameterValue={c['client_name_parameter']}" in ln)
        for param, value in c["keeps"].items():
            assert f"ParameterKey={param},ParameterValue={value}" in line
    options = kit.files["options.md"]
    for option in ("CodePipeline cross-account actions", "CDK Pipelines", "Self-managed StackSets",
                   "Service-managed StackSets", "ADF", "Account Factory for Terraform"):
        assert option in options
    assert "they share no AWS Organization" in options


def _client(service: str, region: str, endpoint: str, account: str) -> Any:
    """An unguarded test session into one fleet account (never the crawler's)."""
    c = boto3.session.Session(aws_access_key_id="deploy", aws_secret_access_key="deploy").client(
        service, region_name=region, endpoint_url=endpoint)
    c.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return c


def test_the_kit_deploys_into_a_fresh_account_and_the_recrawl_has_every_item(kit, fleet, fleet_snapshot,
                                                                             tmp_path) -> None:
    t = kit.template
    primary = t.primary_region
    params = {"ClientName": NEW_CLIENT, "PrimaryRegion": primary}
    for name, spec in t.parameters.items():  # what has no default (an ExternalId, an unread alarm setting)
        if "Default" not in spec and name not in params:
            params[name] = (spec.get("AllowedValues") or ["consultancy-audit" if "ExternalId" in name else "1"])[0]
    for region in sorted({primary, *t.fixed_regions}):
        cfn = _client("cloudformation", region, fleet.endpoint_url, NEW_ACCOUNT)
        cfn.create_stack(StackName=STACK_SET, TemplateBody=kit.files["baseline.yaml"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in params.items()],
                         Capabilities=["CAPABILITY_NAMED_IAM"])
        assert cfn.describe_stacks(StackName=STACK_SET)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    accounts = tmp_path / "accounts.yaml"
    base = yaml.safe_load(Path(fleet.accounts_file).read_text())
    base["clients"] = [{"name": NEW_CLIENT, "account_id": NEW_ACCOUNT, "regions": sorted({primary, *t.fixed_regions}),
                        "teams": ["ops"]}]
    base.pop("discover", None)
    accounts.write_text(yaml.safe_dump(base))
    result = crawl(load_accounts(accounts), tmp_path / "inventory", CrawlOptions(endpoint_url=fleet.endpoint_url,
                                                                                 progress=False))
    assert result.accounts_failed == 0  # (moto lacks a few list calls outside fleet accounts: partial)
    inv = load_inventory(open_snapshot(tmp_path / "inventory"))
    have = {(k, i) for k, i in zip(*(baseline_items(inv)[c] for c in ("item_kind", "item")), strict=True)}
    emitted = {(e.found.kind, e.found.item) for e in t.emitted}
    assert emitted <= have, f"missing after deploy: {sorted(emitted - have)}"
    # the analysis of the fleet with the new account reads it at 100% of those items, each as most
    # accounts have it (no setting differs from the majority the template was learnt from)
    fleet_inv = load_inventory(open_snapshot(fleet_snapshot.snapshot_dir))
    both = {name: pd.concat([fleet_inv[name], inv[name]], ignore_index=True) for name in fleet_inv}
    rows = onboarding_table(both, shapes(both, base=baseline(fleet_inv)))
    mine = rows[(rows["account_id"] == NEW_ACCOUNT) & rows["resource_type"].notna()]
    assert len(mine) == len(emitted)
    # ...but for what the template says it cannot make: inline policies, whose documents the crawl
    # never reads (named in the role's comment, to add after deploying)
    for r in mine[mine["status"] != "has"].to_dict("records"):
        assert r["status"] == "differs", r
        for difference in r["differences"]:
            setting, change = difference.split(": ", 1)
            assert setting == "inline_policies", r
            for name in change.split(" -> ")[0].strip("[]").split(", "):
                assert f"inline policies {name}" in kit.files["baseline.yaml"]
    assert (mine["status"] == "has").sum() >= len(mine) - 1


def test_cli_writes_the_four_files(fleet_snapshot, tmp_path) -> None:
    out = tmp_path / "reports"
    run = CliRunner().invoke(cli, ["onboarding", "--snapshot", str(fleet_snapshot.snapshot_dir), "--out", str(out),
                                   "--accounts", str(fleet_snapshot.fleet.accounts_file)])
    assert run.exit_code == 0, run.output
    where = out / fleet_snapshot.snapshot_dir.name / "onboarding"
    assert sorted(p.name for p in where.iterdir()) == sorted(FILES)
    assert "cfn-lint: 0 errors" in run.output


def _hostile_inventory() -> dict[str, Any]:
    """Three accounts whose shared role and alarm carry names that are YAML, markdown and Fn::Sub syntax."""
    accounts, roles, alarms = [], [], []
    for n, client in enumerate(["alpha-co", "beta-co", "gamma-co"]):
        account = f"{n + 1:012d}"
        accounts.append({"account_id": account, "client": client, "status": "ok", "teams": ["ops"],
                         "regions": ["eu-west-1"]})
        roles.append({"account_id": account, "client": client, "region": "global", "name": "deploy: #1 ${Evil}|x",
                      "arn": f"arn:aws:iam::{account}:role/deploy", "trust_kind": "cross-account",
                      "trusted_principals": ["arn:aws:iam::000000000000:root"], "external_id_required": True})
        alarms.append({"account_id": account, "client": client, "region": "eu-west-1", "name": "a\n# b: *c",
                       "arn": f"arn:aws:cloudwatch:eu-west-1:{account}:alarm:x", "namespace": "NS|*x*",
                       "metric_name": "M", "statistic": "Sum", "comparison_operator": "GreaterThanThreshold",
                       "threshold": float(n), "period": 60, "evaluation_periods": 1})
    return {"accounts": to_arrow("accounts", accounts).to_pandas(),
            "iam_roles": to_arrow("iam_roles", roles).to_pandas(),
            "cloudwatch_alarms": to_arrow("cloudwatch_alarms", alarms).to_pandas()}


def test_hostile_names_stay_data(tmp_path) -> None:
    inv = _hostile_inventory()
    t = build(shapes(inv))
    body = yaml.safe_load(t.text)  # still one YAML document, the names as strings
    (role,) = [r for r in body["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert role["Properties"]["RoleName"] == {"Fn::Sub": "deploy: #1 ${!Evil}|x"}  # no parameter injected
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": {"Ref": f"{next(k for k in body['Resources'] if 'Role' in k)}ExternalId"}}}
    (alarm,) = [r for r in body["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarm["Properties"]["AlarmName"] == "a\n# b: *c"
    # the threshold differs between the three: a parameter with the majority (first in order) as default
    assert alarm["Properties"]["Threshold"] == {"Ref": next(p for p in body["Parameters"] if p.endswith("Threshold"))}
    for line in t.text.splitlines():  # no comment line breaks out into YAML
        if line.lstrip().startswith("#"):
            assert "\n" not in line
