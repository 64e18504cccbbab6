"""The onboarding baseline as resources: for every baseline item, the resources behind it in each
account, the settings most accounts share (the majority shape), and where each client differs.

The baseline (audit.analysis.baseline) says *which* items most accounts have; this says *how* they
are built, as far as the crawl saw it, so the onboarding kit (audit.onboarding) can write them down
as one template and a per-client plan. Nothing here guesses: a setting the crawl did not read stays
None, and the kit turns it into a parameter or a comment.

    shapes(inv, units)   -> {(kind, item): Found}
    onboarding_table()   -> per (account, baseline item): has | lacks | differs | not crawled
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from audit.analysis.baseline import baseline, crawled_accounts, item_sources
from audit.analysis.frames import Inventory, conform, table
from audit.analysis.vocab import text
from audit.names import REGION_IN_TEXT

CLIENT, ACCOUNT, REGION = "${ClientName}", "${AWS::AccountId}", "${AWS::Region}"
SELF = "self"  # a trusted principal in the role's own account
PRIMARY = "primary"  # a regional resource in its account's home region (which differs between clients)
AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.+)$")

# What the kit can write as a CloudFormation resource, per item kind; the rest is listed with why.
EMITTED = {"iam-role": "AWS::IAM::Role", "s3-bucket": "AWS::S3::Bucket", "ecr-repository": "AWS::ECR::Repository",
           "cloudwatch-alarm": "AWS::CloudWatch::Alarm", "oidc-provider": "AWS::IAM::OIDCProvider"}
NOT_EMITTED = {
    "pipeline-shape": "a delivery pipeline belongs to a team's application, not to the account's onboarding "
                      "(the catalog's shared pipeline template covers it)",
    "ecr-setting": "a setting of the repositories teams create (set it in their templates), not a resource "
                   "of its own",
}


@dataclass(frozen=True)
class Instance:
    """One account's resource behind a baseline item, with its comparable settings."""

    account_id: str
    client: str
    region: str
    name: str
    managed_by: str | None
    settings: dict[str, Any]
    home_region: str | None = None  # where the account keeps most of its regional resources


@dataclass
class Found:
    """A baseline item across accounts: its instances, the majority settings, who differs."""

    kind: str
    item: str
    coverage: float
    accounts_total: int
    instances: list[Instance]
    majority: dict[str, Any] = field(default_factory=dict)
    differs: dict[str, dict[str, Any]] = field(default_factory=dict)  # setting -> {client: its value}
    resource_type: str | None = None  # the CloudFormation type, None when not emitted
    reason: str = ""  # why it is not emitted (or how it is provided)

    @property
    def emitted(self) -> bool:
        return self.resource_type is not None


def sub_name(name: str, client: str, account_id: str) -> str:
    """A resource name as a Fn::Sub string: the client's name, its account id and a region become
    ${ClientName}, ${AWS::AccountId} and ${AWS::Region}; a literal `${` is escaped as `${!`."""
    out = text(name).replace("${", "${!")
    if account_id:
        out = out.replace(account_id, ACCOUNT)
    out = REGION_IN_TEXT.sub(REGION, out)
    if client:  # the variants normalise_name knows, longest first
        low = client.lower()
        variants = {low, low.replace("-", ""), low.replace("-", "_"), low.split("-")[0]}
        for variant in sorted(variants, key=len, reverse=True):
            if len(variant) >= 3:
                out = re.sub(re.escape(variant), lambda _m: CLIENT, out, flags=re.IGNORECASE)
    return out


def _strs(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(str(v) for v in value)


def _scalar(value: Any) -> Any:
    """A cell as a plain comparable value (None for missing)."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def _principal(value: str, account_id: str) -> tuple[str, str]:
    """(kind, value) of one trusted principal; the role's own account becomes `self`."""
    if value.startswith("sub:"):
        return "subject", value[4:]
    if ":oidc-provider/" in value:
        return "federated", value.rsplit(":oidc-provider/", 1)[1]
    if value.endswith(".amazonaws.com") or value.endswith(".amazonaws.com.cn"):
        return "service", value
    account = value.split(":")[4] if value.startswith("arn:") else value
    shaped = value.replace(account_id, SELF) if account_id and account == account_id else value
    return "aws", shaped


def _policy(arn: str, account_id: str) -> str:
    """A managed policy: `aws:<name>` for AWS-managed (recreatable by ARN), else `customer:<name>`."""
    m = AWS_MANAGED_POLICY.match(arn)
    return f"aws:{m.group(1)}" if m else f"customer:{arn.rsplit('/', 1)[-1]}"


def role_settings(row: Mapping[str, Any]) -> dict[str, Any]:
    account = text(row.get("account_id"))
    boundary = text(_scalar(row.get("permissions_boundary_arn")))
    kinds: dict[str, list[str]] = {"service": [], "federated": [], "aws": [], "subject": []}
    for p in _strs(row.get("trusted_principals")):
        kind, value = _principal(p, account)
        kinds[kind].append(value)
    return {
        "name": sub_name(row.get("name"), text(row.get("client")), account),
        "path": _scalar(row.get("path")),
        "max_session_seconds": _scalar(row.get("max_session_seconds")),
        "trust_services": tuple(sorted(set(kinds["service"]))),
        "trust_federated": tuple(sorted(set(kinds["federated"]))),
        "trust_aws": tuple(sorted(set(kinds["aws"]))),
        "external_id_required": _scalar(row.get("external_id_required")),
        "oidc_audiences": tuple(sorted(set(_strs(row.get("oidc_audiences"))))),
        "oidc_subjects": tuple(sorted(set(_strs(row.get("oidc_subjects")) or kinds["subject"]))),
        "managed_policies": tuple(sorted({_policy(a, account) for a in _strs(row.get("managed_policy_arns"))})),
        "inline_policies": tuple(sorted(set(_strs(row.get("inline_policy_names"))))),
        "permissions_boundary": _policy(boundary, account) if boundary else None,
    }


def bucket_settings(row: Mapping[str, Any]) -> dict[str, Any]:
    read = bool(_scalar(row.get("settings_read")))
    return {
        "name": sub_name(row.get("name"), text(row.get("client")), text(row.get("account_id"))),
        "versioning": _scalar(row.get("versioning")) if read else None,
        "encryption": _scalar(row.get("encryption")) if read else None,
        "bucket_key_enabled": _scalar(row.get("bucket_key_enabled")) if read else None,
        "public_access_blocked": _scalar(row.get("public_access_blocked")) if read else None,
        "website": _scalar(row.get("website")),
    }


def ecr_settings(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": sub_name(row.get("name"), text(row.get("client")), text(row.get("account_id"))),
            "scan_on_push": _scalar(row.get("scan_on_push")), "tag_mutability": _scalar(row.get("tag_mutability")),
            "encryption_type": _scalar(row.get("encryption_type"))}


def alarm_settings(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": sub_name(row.get("name"), text(row.get("client")), text(row.get("account_id"))),
            "region": _scalar(row.get("region")),
            **{k: _scalar(row.get(k)) for k in ("namespace", "metric_name", "statistic", "comparison_operator",
                                               "threshold", "period", "evaluation_periods", "treat_missing_data",
                                               "actions_enabled")}}


def oidc_settings(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"url": _scalar(row.get("url")), "client_ids": tuple(sorted(set(_strs(row.get("client_ids")))))}


def stack_settings(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": sub_name(row.get("name"), text(row.get("client")), text(row.get("account_id"))),
            "iac_tool": _scalar(row.get("iac_tool"))}


SETTINGS = {"iam-role": role_settings, "s3-bucket": bucket_settings, "ecr-repository": ecr_settings,
            "cloudwatch-alarm": alarm_settings, "oidc-provider": oidc_settings, "stack": stack_settings}


def _majority(values: list[Any]) -> Any:
    """The most common value; ties go to the first in sorted order (deterministic). Unknown (None)
    only wins when nothing is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    counts = Counter(known)
    best = max(counts.values())
    return sorted((v for v, n in counts.items() if n == best), key=repr)[0]


def _not_emitted_reason(kind: str, instances: list[Instance]) -> str | None:
    """Why an item is not a resource of the template, or None when it is."""
    if kind in NOT_EMITTED:
        return NOT_EMITTED[kind]
    if kind == "stack":
        names = {i.name for i in instances}
        tools = {i.settings.get("iac_tool") for i in instances}
        if "CDKToolkit" in names or "cdk-bootstrap" in tools:
            return "the CDK bootstrap stack: created by `cdk bootstrap` (plan.md gives the command), not a resource"
        if any(n.startswith("StackSet-") for n in names):
            return "a StackSet's instance: the StackSet that created it rolls it out"
        return "an application stack: its template lives in the team's repository and its pipeline deploys it"
    managed = Counter(i.managed_by for i in instances if i.managed_by)
    if managed and sum(managed.values()) * 2 > len(instances):
        stack = managed.most_common(1)[0][0]
        return f"created by the stack {stack!r} in {sum(managed.values())} of {len(instances)} accounts: roll out that stack"
    return None


def home_regions(inv: Inventory) -> dict[str, str]:
    """Per account, the region holding most of its regional resources (pipelines, stacks, alarms,
    bucket locations): the client's home region, where its baseline lives."""
    counts: dict[str, Counter[str]] = {}
    for name, column in (("pipelines", "region"), ("stacks", "region"), ("cloudwatch_alarms", "region"),
                         ("s3_buckets", "bucket_region")):
        frame = table(inv, name)
        for account, region in zip(frame["account_id"], frame[column], strict=True):
            if text(region) and text(region) != "global":
                counts.setdefault(text(account), Counter())[text(region)] += 1
    return {a: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for a, c in counts.items()}


def _placed(instances: list[Instance]) -> list[Instance]:
    """A regional resource found in one region everywhere (a billing alarm in us-east-1) keeps that
    region; found in different regions, each in its account's home region, it is `primary`."""
    regions = {i.settings.get("region") for i in instances if i.settings.get("region")}
    if len(regions) <= 1:
        return instances
    for i in instances:
        if i.settings.get("region") and i.settings["region"] == i.home_region:
            i.settings["region"] = PRIMARY
    return instances


def shapes(inv: Inventory, units: pd.DataFrame | None = None,
           base: pd.DataFrame | None = None) -> dict[tuple[str, str], Found]:
    """Every baseline item with its instances (one per account, the first by name), majority
    settings and differences."""
    base = baseline(inv, units) if base is None else base
    wanted = set(zip(base["item_kind"], base["item"], strict=True))
    if not wanted:
        return {}
    crawled = set(crawled_accounts(inv)["account_id"])
    home = home_regions(inv)
    per: dict[tuple[str, str], dict[str, Instance]] = {}
    for kind, frame, items in item_sources(inv, units):
        rows = frame.to_dict("records")
        for row, item in sorted(zip(rows, items, strict=True), key=lambda p: text(p[0].get("name"))):
            key = (kind, item)
            account = text(row.get("account_id"))
            if key not in wanted or account not in crawled or account in per.get(key, {}):
                continue
            settings = SETTINGS[kind](row) if kind in SETTINGS else {}
            per.setdefault(key, {})[account] = Instance(
                account, text(row.get("client")), text(row.get("region")), text(row.get("name")),
                text(row.get("managed_by")) or None, settings, home.get(account))
    out: dict[tuple[str, str], Found] = {}
    for rec in base.to_dict("records"):
        key = (rec["item_kind"], rec["item"])
        instances = _placed(sorted(per.get(key, {}).values(), key=lambda i: i.client))
        found = Found(key[0], key[1], float(rec["coverage"]), int(rec["accounts_total"]), instances)
        names = sorted({k for i in instances for k in i.settings})
        for name in names:
            values = [i.settings.get(name) for i in instances]
            found.majority[name] = _majority(values)
            odd = {i.client: v for i, v in zip(instances, values, strict=True)
                   if v is not None and v != found.majority[name]}
            if odd:
                found.differs[name] = odd
        reason = _not_emitted_reason(key[0], instances)
        found.resource_type = None if reason else EMITTED.get(key[0])
        found.reason = reason or ("" if found.resource_type else f"no CloudFormation resource for {key[0]!r} items")
        out[key] = found
    return out


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def onboarding_table(inv: Inventory, found: Mapping[tuple[str, str], Found]) -> pd.DataFrame:
    """Per account of accounts.yaml x baseline item: has (as the majority), differs (with what),
    lacks, or not crawled; and whether the template would create it."""
    accounts = table(inv, "accounts")
    crawled = set(crawled_accounts(inv)["account_id"])
    rows = []
    for acc in accounts.drop_duplicates("account_id").to_dict("records"):
        account, client = text(acc.get("account_id")), text(acc.get("client"))
        for (kind, item), f in found.items():
            mine = next((i for i in f.instances if i.account_id == account), None)
            differences = [] if mine is None else [
                f"{name}: {_shown(f.majority[name])} -> {_shown(mine.settings.get(name))}"
                for name in sorted(f.differs) if client in f.differs[name]]
            status = ("not crawled" if account not in crawled else "lacks" if mine is None else
                      "differs" if differences else "has")
            rows.append({"client": client, "account_id": account, "item_kind": kind, "item": item,
                         "coverage": f.coverage, "status": status, "differences": differences,
                         "resource_type": f.resource_type, "reason": f.reason or None})
    return conform("onboarding", pd.DataFrame(rows))


__all__ = ["AWS_MANAGED_POLICY", "PRIMARY", "SELF", "Found", "Instance", "home_regions", "onboarding_table", "shapes", "sub_name"]
