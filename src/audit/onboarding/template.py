"""baseline.yaml: the onboarding baseline found, as one CloudFormation template a StackSet can roll out.

Each emitted resource is the majority shape of its baseline item (audit.analysis.onboarding) and
cites the accounts it was learnt from and its coverage (in a comment and in `Metadata`). Settings
that differ between clients become parameters with the majority as default; what the crawl could
not see (policy documents, KMS keys, alarm dimensions and actions, the ExternalId) is a parameter
without a default or a comment, never a guess. Global resources (IAM, the buckets) are created only
in the primary region, so the same template can be deployed to every region a client uses.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from audit.analysis.onboarding import PRIMARY, SELF, Found

PARTITION_POLICY = "arn:${AWS::Partition}:iam::aws:policy/"
CLIENT_PATTERN = "^[a-z0-9][a-z0-9-]{0,39}$"  # it is part of bucket names: lower case, digits, hyphens
MAX_PARAMETERS = 200  # CloudFormation quota: parameters per template
STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
COMPARISONS = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
               "LessThanOrEqualToThreshold"]


@dataclass
class Emitted:
    """One resource of the template and the baseline item it came from."""

    logical_id: str
    found: Found
    notes: list[str] = field(default_factory=list)  # what the crawl could not see, said in the comment
    parameters: dict[str, str] = field(default_factory=dict)  # setting -> the parameter clients differ on


@dataclass
class Template:
    """The template as data (for the plan and the tests) and as YAML text (for the file)."""

    body: CommentedMap
    emitted: list[Emitted]
    skipped: list[Found]
    tooling_account: str | None
    primary_region: str | None
    fixed_regions: list[str]

    @property
    def text(self) -> str:
        return dump(self.body)

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.body.get("Parameters", {})


def logical_id(name: str, suffix: str, taken: set[str]) -> str:
    """A CloudFormation logical id (alphanumeric, <= 255) from a resource name, unique in `taken`."""
    plain = re.sub(r"\$\{[^}]*\}", " ", name)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", plain) if w]
    base = "".join(w[:1].upper() + w[1:] for w in words) or "Resource"
    if base[0].isdigit():
        base = "R" + base
    if not base.endswith(suffix):
        base = base[: 255 - len(suffix) - 4] + suffix
    base = base[:250]
    out, n = base, 2
    while out in taken:
        out, n = f"{base}{n}", n + 1
    taken.add(out)
    return out


def parameter_value(value: Any) -> str:
    """A setting as a CloudFormation parameter value (booleans as true/false, lists comma-joined)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list):
        return ",".join(map(str, value))
    return str(value)


def _sub(value: str) -> Any:
    """A plain string, or Fn::Sub when it names a parameter or pseudo parameter."""
    return {"Fn::Sub": value} if "${" in value else value


def _comment(text: str) -> str:
    """Comment text on one line, printable characters only (names come from client accounts)."""
    return re.sub(r"[^\x20-\x7e]", "?", text)


class _Builder:
    def __init__(self, found: Iterable[Found]) -> None:
        self.found = list(found)
        self.params = CommentedMap()
        self.conditions = CommentedMap()
        self.resources = CommentedMap()
        self.taken: set[str] = set()
        self.emitted: list[Emitted] = []
        self.tooling = self._tooling_account()
        self.fixed_regions: list[str] = []

    # ---- parameters and conditions ---------------------------------------------------------------

    def param(self, name: str, spec: dict[str, Any]) -> dict[str, str]:
        if name not in self.params:
            self.params[name] = spec
        return {"Ref": name}

    def region_condition(self, region: str | None) -> str:
        if region in (None, PRIMARY):
            name = "InPrimaryRegion"
            self.conditions.setdefault(name, {"Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "PrimaryRegion"}]})
            return name
        name = "In" + "".join(w.capitalize() for w in region.split("-"))
        self.conditions.setdefault(name, {"Fn::Equals": [{"Ref": "AWS::Region"}, region]})
        if region not in self.fixed_regions:
            self.fixed_regions.append(region)
        return name

    def setting(self, e: Emitted, name: str, value: Any, spec: dict[str, Any]) -> Any:
        """`value` (the majority), or a parameter defaulting to it when clients differ on `name`."""
        if name not in e.found.differs or len(self.params) >= MAX_PARAMETERS:
            return value
        camel = "".join(w.capitalize() for w in name.split("_"))
        differ = e.found.differs[name]
        spec = {**spec, "Default": parameter_value(value),
                "Description": _comment(f"{e.logical_id} {name}: most clients use {parameter_value(value)}; " + "; ".join(
                    f"{c} uses {parameter_value(v)}" for c, v in sorted(differ.items())))}
        param = f"{e.logical_id}{camel}"
        e.parameters[name] = param
        return self.param(param, spec)

    def _tooling_account(self) -> str | None:
        """The external account most baseline roles trust: the consultancy's tooling account."""
        counts: Counter[str] = Counter()
        for f in self.found:
            for p in f.majority.get("trust_aws", ()) if f.kind == "iam-role" else ():
                account = p.split(":")[4] if p.startswith("arn:") else p
                if account not in (SELF, "*") and re.fullmatch(r"\d{12}", account):
                    counts[account] += 1
        return counts.most_common(1)[0][0] if counts else None

    # ---- resources -------------------------------------------------------------------------------

    def add(self, f: Found) -> None:
        m = f.majority
        suffix = {"iam-role": "Role", "s3-bucket": "Bucket", "ecr-repository": "Repository",
                  "cloudwatch-alarm": "Alarm", "oidc-provider": "OidcProvider"}[f.kind]
        name = f.item if f.kind == "oidc-provider" else m.get("name") or f.item
        e = Emitted(logical_id(str(name), suffix, self.taken), f)
        resource = getattr(self, "_" + f.kind.replace("-", "_"))(e)
        learnt = ", ".join(f"{i.client} ({i.account_id})" for i in f.instances)
        resource["Metadata"] = {"cicd-audit": {
            "item": f"{f.kind}: {f.item}", "coverage": round(f.coverage, 3),
            "learnt_from": [f"{i.client} {i.account_id}" for i in f.instances],
            **({"not_read": e.notes} if e.notes else {})}}
        self.resources[e.logical_id] = resource
        lines = [f"{f.kind} '{f.item}': in {len(f.instances)} of {f.accounts_total} crawled accounts "
                 f"({f.coverage:.0%}), learnt from {learnt}"] + [f"not read by the crawl: {n}" for n in e.notes]
        self.resources.yaml_set_comment_before_after_key(e.logical_id, before="\n".join(map(_comment, lines)), indent=2)
        self.emitted.append(e)

    def _iam_role(self, e: Emitted) -> dict[str, Any]:
        m = e.found.majority
        statements: list[dict[str, Any]] = []
        if m.get("trust_services"):
            statements.append({"Effect": "Allow", "Principal": {"Service": list(m["trust_services"])},
                               "Action": "sts:AssumeRole"})
        if m.get("trust_aws"):
            st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": [self._principal(p) for p in m["trust_aws"]]},
                                  "Action": "sts:AssumeRole"}
            if m.get("external_id_required"):
                ref = self.param(f"{e.logical_id}ExternalId", {
                    "Type": "String", "NoEcho": True, "MinLength": 2, "MaxLength": 1224,
                    "Description": f"The ExternalId {e.logical_id} requires (never read or stored by the crawl)"})
                st["Condition"] = {"StringEquals": {"sts:ExternalId": ref}}
                e.notes.append("the ExternalId value (a parameter without default)")
            statements.append(st)
        for host in m.get("trust_federated", ()):
            provider = self._provider_ref(host)
            cond: dict[str, Any] = {}
            if m.get("oidc_audiences"):
                cond["StringEquals"] = {f"{host}:aud": list(m["oidc_audiences"])}
            if m.get("oidc_subjects"):
                subjects = self.setting(e, "oidc_subjects", ",".join(m["oidc_subjects"]), {"Type": "CommaDelimitedList"})
                cond["StringLike"] = {f"{host}:sub": subjects if isinstance(subjects, dict) else list(m["oidc_subjects"])}
            st = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"}
            if cond:
                st["Condition"] = cond
            statements.append(st)
        props: dict[str, Any] = {"RoleName": _sub(str(m["name"])),
                                 "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
        if m.get("path"):
            props["Path"] = m["path"]
        if m.get("max_session_seconds"):
            props["MaxSessionDuration"] = self.setting(e, "max_session_seconds", int(m["max_session_seconds"]),
                                                       {"Type": "Number", "MinValue": 3600, "MaxValue": 43200})
        managed = [p for p in m.get("managed_policies", ()) if p.startswith("aws:")]
        if managed:
            props["ManagedPolicyArns"] = [{"Fn::Sub": PARTITION_POLICY + p[4:]} for p in managed]
        customer = [p[9:] for p in m.get("managed_policies", ()) if p.startswith("customer:")]
        if customer:
            e.notes.append(f"customer-managed policies {', '.join(customer)} (documents not read: attach them after deploy)")
        if m.get("inline_policies"):
            e.notes.append(f"inline policies {', '.join(m['inline_policies'])} (documents not read: add them after deploy)")
        boundary = m.get("permissions_boundary")
        if isinstance(boundary, str) and boundary.startswith("aws:"):
            props["PermissionsBoundary"] = {"Fn::Sub": PARTITION_POLICY + boundary[4:]}
        elif boundary:
            e.notes.append(f"permissions boundary {boundary[9:]} (customer-managed: not read)")
        return {"Type": "AWS::IAM::Role", "Condition": self.region_condition(PRIMARY), "Properties": props}

    def _principal(self, p: str) -> Any:
        if p == "*":
            return "*"
        account = p.split(":")[4] if p.startswith("arn:") else p
        rest = p.split(":", 5)[5] if p.startswith("arn:") else "root"
        if account == SELF:
            return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:{rest}"}
        if account == self.tooling:
            return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{ToolingAccountId}}:{rest}"}
        return p

    def _provider_ref(self, host: str) -> Any:
        for other in self.emitted:
            if other.found.kind == "oidc-provider" and str(other.found.majority.get("url", "")).endswith(host):
                return {"Ref": other.logical_id}
        return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{host}"}

    def _oidc_provider(self, e: Emitted) -> dict[str, Any]:
        m = e.found.majority
        url = str(m.get("url") or "")
        props: dict[str, Any] = {"Url": url if url.startswith("https://") else f"https://{url}"}
        if m.get("client_ids"):
            props["ClientIdList"] = list(m["client_ids"])
        return {"Type": "AWS::IAM::OIDCProvider", "Condition": self.region_condition(PRIMARY), "Properties": props}

    def _s3_bucket(self, e: Emitted) -> dict[str, Any]:
        m = e.found.majority
        props: dict[str, Any] = {"BucketName": _sub(str(m["name"]))}
        if m.get("versioning") in ("Enabled", "Suspended"):
            props["VersioningConfiguration"] = {"Status": self.setting(
                e, "versioning", m["versioning"], {"Type": "String", "AllowedValues": ["Enabled", "Suspended"]})}
        if m.get("encryption") not in (None, "none"):
            rule: dict[str, Any] = {"ServerSideEncryptionByDefault": {"SSEAlgorithm": self.setting(
                e, "encryption", m["encryption"], {"Type": "String", "AllowedValues": ["AES256", "aws:kms", "aws:kms:dsse"]})}}
            if m.get("bucket_key_enabled") is not None:
                rule["BucketKeyEnabled"] = bool(m["bucket_key_enabled"])
            props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [rule]}
            if "kms" in str(m["encryption"]) or "encryption" in e.found.differs:
                e.notes.append("the KMS key (the AWS managed key aws/s3 is used unless you add KMSMasterKeyID)")
        if m.get("public_access_blocked") is not None:
            flag = self.setting(e, "public_access_blocked", bool(m["public_access_blocked"]),
                                {"Type": "String", "AllowedValues": ["true", "false"]})
            props["PublicAccessBlockConfiguration"] = {k: flag for k in (
                "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}
        if m.get("versioning") is None and m.get("encryption") is None and m.get("public_access_blocked") is None:
            e.notes.append("versioning, encryption and public access settings (S3 defaults apply)")
        return {"Type": "AWS::S3::Bucket", "Condition": self.region_condition(PRIMARY),
                "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": props}

    def _ecr_repository(self, e: Emitted) -> dict[str, Any]:
        m = e.found.majority
        props: dict[str, Any] = {"RepositoryName": _sub(str(m["name"]))}
        if m.get("scan_on_push") is not None:
            props["ImageScanningConfiguration"] = {"ScanOnPush": bool(m["scan_on_push"])}
        if m.get("tag_mutability"):
            props["ImageTagMutability"] = self.setting(e, "tag_mutability", m["tag_mutability"], {
                "Type": "String", "AllowedValues": ["MUTABLE", "IMMUTABLE"]})
        if m.get("encryption_type"):
            props["EncryptionConfiguration"] = {"EncryptionType": m["encryption_type"]}
        return {"Type": "AWS::ECR::Repository", "Condition": self.region_condition(PRIMARY),
                "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": props}

    def _cloudwatch_alarm(self, e: Emitted) -> dict[str, Any]:
        m = e.found.majority

        def needed(name: str, value: Any, spec: dict[str, Any]) -> Any:
            if value is None:  # required by CloudFormation, not read by the crawl: the user says it
                e.notes.append(f"{name} (a parameter without default)")
                camel = "".join(w.capitalize() for w in name.split("_"))
                return self.param(f"{e.logical_id}{camel}", {**spec, "Description": _comment(
                    f"{e.logical_id} {name}: not read by the crawl")})
            return self.setting(e, name, value, spec)

        self.param("AlarmActionArns", {"Type": "CommaDelimitedList", "Default": "", "Description":
                                       "SNS topics the baseline alarms notify (the crawl does not read alarm actions)"})
        self.conditions.setdefault("HasAlarmActions", {"Fn::Not": [{"Fn::Equals": [
            {"Fn::Join": ["", {"Ref": "AlarmActionArns"}]}, ""]}]})
        props: dict[str, Any] = {
            "AlarmName": _sub(str(m["name"])), "Namespace": m["namespace"], "MetricName": m["metric_name"],
            "Statistic": needed("statistic", m.get("statistic"), {"Type": "String", "AllowedValues": STATISTICS}),
            "ComparisonOperator": needed("comparison_operator", m.get("comparison_operator"),
                                         {"Type": "String", "AllowedValues": COMPARISONS}),
            "Threshold": needed("threshold", m.get("threshold"), {"Type": "Number"}),
            "Period": needed("period", m.get("period"), {"Type": "Number", "MinValue": 10}),
            "EvaluationPeriods": needed("evaluation_periods", m.get("evaluation_periods"), {"Type": "Number", "MinValue": 1}),
            "AlarmActions": {"Fn::If": ["HasAlarmActions", {"Ref": "AlarmActionArns"}, {"Ref": "AWS::NoValue"}]},
        }
        if m.get("treat_missing_data"):
            props["TreatMissingData"] = m["treat_missing_data"]
        if m.get("actions_enabled") is not None:
            props["ActionsEnabled"] = bool(m["actions_enabled"])
        e.notes.append("the metric's dimensions and the alarm actions")
        return {"Type": "AWS::CloudWatch::Alarm", "Condition": self.region_condition(m.get("region")), "Properties": props}


def primary_region(found: Iterable[Found]) -> str | None:
    """The region most clients keep their baseline in (their home region, by the alarms and buckets
    found there); the PrimaryRegion parameter's default."""
    counts: Counter[str] = Counter(i.home_region for f in found for i in f.instances if i.home_region)
    return counts.most_common(1)[0][0] if counts else None


def build(found: Mapping[tuple[str, str], Found]) -> Template:
    """The template of every emitted baseline item (OIDC providers first: roles refer to them)."""
    items = sorted(found.values(), key=lambda f: (f.kind != "oidc-provider", f.kind, f.item))
    b = _Builder(items)
    b.param("ClientName", {"Type": "String", "AllowedPattern": CLIENT_PATTERN, "Description":
                           "The client's name as in accounts.yaml (lower case, digits, hyphens): part of resource names"})
    primary = primary_region(items)
    b.param("PrimaryRegion", {"Type": "String", "Default": primary or "us-east-1", "Description":
                              "Global resources (IAM, buckets) are created only in this region"})
    if b.tooling:
        b.param("ToolingAccountId", {"Type": "String", "AllowedPattern": r"^\d{12}$", "Default": b.tooling,
                                     "Description": "The consultancy's tooling account the cross-account roles trust"})
    skipped = []
    for f in items:
        if f.emitted:
            b.add(f)
        else:
            skipped.append(f)
    body = CommentedMap()
    body["AWSTemplateFormatVersion"] = "2010-09-09"
    body["Description"] = _comment(f"Client onboarding baseline found by cicd-audit: {len(b.emitted)} resources "
                                   f"shared by most client accounts")
    body["Parameters"] = b.params
    body["Conditions"] = b.conditions
    body["Resources"] = b.resources
    return Template(body, b.emitted, skipped, b.tooling, primary, b.fixed_regions)


def dump(body: Mapping[str, Any]) -> str:
    """YAML text: block style, key order kept, every string quoted where YAML needs it."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.ignore_aliases = lambda _data: True  # CloudFormation rejects YAML aliases
    buf = io.StringIO()
    yaml.dump(body, buf)
    return buf.getvalue()


__all__ = ["Emitted", "Template", "build", "dump", "logical_id", "parameter_value", "primary_region"]
