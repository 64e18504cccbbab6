"""plan.md and plan.json: per client, what the baseline template would add, change or leave alone,
and how to roll it out with self-managed StackSets (the clients share no Organization), previewing
every change with a change set first. The tool writes these files; it never runs the commands."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from audit.markdown import cell
from audit.onboarding.template import Template, parameter_value

STACK_SET = "cicd-audit-onboarding-baseline"
ADMIN_ROLE = "AWSCloudFormationStackSetAdministrationRole"
EXEC_ROLE = "AWSCloudFormationStackSetExecutionRole"
STATUS_ORDER = {"lacks": 0, "differs": 1, "has": 2, "not crawled": 3}


def client_parameter(client: str) -> str:
    """The ClientName parameter value for a client of accounts.yaml (lower case, digits, hyphens)."""
    out = re.sub(r"[^a-z0-9-]+", "-", client.lower()).strip("-")
    return (out or "client")[:40]


def plan_data(table: pd.DataFrame, template: Template, lint: Sequence[Mapping[str, Any]],
              homes: Mapping[str, str]) -> dict[str, Any]:
    """Everything plan.md says, as data (plan.json)."""
    emitted_items = {f"{e.found.kind}: {e.found.item}": e.logical_id for e in template.emitted}
    clients = []
    for (client, account), rows in table.groupby(["client", "account_id"], sort=True):
        items = []
        for r in sorted(rows.to_dict("records"), key=lambda r: (STATUS_ORDER.get(r["status"], 9), r["item_kind"], r["item"])):
            key = f"{r['item_kind']}: {r['item']}"
            items.append({"item_kind": r["item_kind"], "item": r["item"], "status": r["status"],
                          "differences": list(r["differences"] if r["differences"] is not None else []),
                          "logical_id": emitted_items.get(key), "reason": r["reason"] if isinstance(r["reason"], str) else None})
        adds = [i for i in items if i["status"] == "lacks" and i["logical_id"]]
        region = homes.get(account) or template.primary_region
        keep = own_values(template, client)
        clients.append({"client": client, "account_id": account, "client_name_parameter": client_parameter(client),
                        "primary_region": region, "crawled": not all(i["status"] == "not crawled" for i in items),
                        "adds": len(adds), "changes": sum(1 for i in items if i["status"] == "differs" and i["logical_id"]),
                        "has": sum(1 for i in items if i["status"] == "has"), "keeps": keep, "items": items})
    regions = sorted({c["primary_region"] for c in clients if c["primary_region"]} | set(template.fixed_regions))
    return {"stack_set": STACK_SET, "resources": len(template.emitted),
            "parameters": list(template.parameters), "tooling_account": template.tooling_account,
            "regions": regions, "clients": clients,
            "not_in_template": [{"item_kind": f.kind, "item": f.item, "coverage": f.coverage, "reason": f.reason}
                                for f in template.skipped],
            "lint": list(lint)}


def own_values(template: Template, client: str) -> dict[str, str]:
    """The parameters that keep a client's own setting where it differs from the majority (its preview
    then shows only what it lacks); a value the parameter does not allow is left to the default."""
    out = {}
    for e in template.emitted:
        for setting, param in e.parameters.items():
            value = e.found.differs.get(setting, {}).get(client)
            if value is None:
                continue
            allowed = template.parameters.get(param, {}).get("AllowedValues")
            if allowed is None or parameter_value(value) in allowed:
                out[param] = parameter_value(value)
    return out


def _params(values: Mapping[str, str]) -> str:
    """AWS CLI shorthand, one shell word per parameter (a list's commas escaped as the CLI wants)."""
    return " ".join(shlex.quote(f"ParameterKey={k},ParameterValue={str(v).replace(',', chr(92) + ',')}")
                    for k, v in values.items())


def plan_md(data: Mapping[str, Any], template: Template) -> str:
    """The plan for the platform lead, in markdown (every value from an account escaped)."""
    out = [f"# Onboarding plan: {data['resources']} baseline resources for {len(data['clients'])} clients", "",
           "baseline.yaml creates the onboarding baseline most client accounts already share. This plan says, per",
           "client, what it would add, what it would change, and how to roll it out. cicd-audit only writes these",
           "files: every command below is for you to review and run.", ""]
    out += ["## Per client", "", "| client | account | primary region | has | would add | would change | not crawled |",
            "|---|---|---|---|---|---|---|"]
    for c in data["clients"]:
        missing = sum(1 for i in c["items"] if i["status"] == "not crawled")
        out.append(f"| {cell(c['client'])} | {cell(c['account_id'])} | {cell(c['primary_region'] or '?')} | {c['has']} | "
                   f"{c['adds']} | {c['changes']} | {missing or ''} |")
    for c in data["clients"]:
        out += ["", f"### {cell(c['client'])} ({cell(c['account_id'])})", ""]
        if not c["crawled"]:
            out += ["Not crawled this week: nothing is known about this account; crawl it before onboarding it.", ""]
            continue
        out += ["| status | item | in the template as | differences / why not |", "|---|---|---|---|"]
        for i in c["items"]:
            why = "; ".join(i["differences"]) if i["differences"] else (i["reason"] or "")
            out.append(f"| {cell(i['status'])} | {cell(i['item_kind'] + ': ' + i['item'])} | "
                       f"{cell(i['logical_id'] or '(not in the template)')} | {cell(why)} |")
    if data["not_in_template"]:
        out += ["", "## Baseline items the template does not create", "", "| item | coverage | why |", "|---|---|---|"]
        for s in data["not_in_template"]:
            out.append(f"| {cell(s['item_kind'] + ': ' + s['item'])} | {s['coverage']:.0%} | {cell(s['reason'])} |")
    out += _rollout(data, template)
    out += ["", "## cfn-lint", ""]
    errors = [m for m in data["lint"] if m["level"] == "error"]
    if not data["lint"]:
        out.append("cfn-lint reports nothing for baseline.yaml.")
    else:
        out += [f"cfn-lint: {len(errors)} errors, {len(data['lint']) - len(errors)} warnings/informational.", "",
                "| rule | level | line | message |", "|---|---|---|---|"]
        out += [f"| {cell(m['rule'])} | {cell(m['level'])} | {m['line']} | {cell(m['message'])} |" for m in data["lint"]]
    return "\n".join(out) + "\n"


def _rollout(data: Mapping[str, Any], template: Template) -> list[str]:
    tooling = data["tooling_account"] or "<tooling-account-id>"
    regions = " ".join(data["regions"]) or "<region>"
    required = [name for name, spec in template.parameters.items()
                if "Default" not in spec and name != "ClientName"]
    extra = _params({p: f"<{p}>" for p in required})
    out = ["", "## Roll-out with self-managed StackSets", "",
           "The clients do not share an AWS Organization, so the StackSet is self-managed: it runs from the",
           f"consultancy's tooling account ({cell(tooling)}) and assumes an execution role in each client account.", "",
           "1. **Administration role** in the tooling account: `" + ADMIN_ROLE + "`, trusted by",
           "   `cloudformation.amazonaws.com`, allowed `sts:AssumeRole` on",
           f"   `arn:aws:iam::*:role/{EXEC_ROLE}`.",
           f"2. **Execution role** in each client account: `{EXEC_ROLE}`, trusting",
           f"   `arn:aws:iam::{cell(tooling)}:root`, with the permissions to create the template's resources (IAM,",
           "   S3, ECR, CloudWatch). This role is the one thing created by hand (or with a one-off stack) per client.",
           f"3. **Regions**: {cell(regions)}. Global resources (IAM roles, the OIDC provider, buckets) are created only",
           "   where `PrimaryRegion` matches; region-bound alarms only in their region.",
           "4. **Failure tolerance and concurrency**: one client at a time at first (`FailureToleranceCount=0`,",
           "   `MaxConcurrentCount=1`), so a failure stops the roll-out before it reaches the next client.", "",
           "Preview each client first — a change set in the client's account shows what would be created and",
           "changed, and nothing changes until it is executed. `--import-existing-resources` adopts the resources",
           "the client already has under the same names instead of failing on them. Where a client's setting",
           "differs from the majority, its own value is passed (so the preview changes nothing it has); drop that",
           "parameter to bring it to the majority:", "", "```sh"]
    for c in data["clients"]:
        if not c["crawled"]:
            continue
        params = _params({"ClientName": c["client_name_parameter"], "PrimaryRegion": c["primary_region"] or "<region>",
                          **c["keeps"]})
        out += [f"# {_shell_comment(c['client'])}: would add {c['adds']}, change {c['changes']}",
                f"aws cloudformation create-change-set --region {c['primary_region'] or '<region>'} "
                f"--stack-name {STACK_SET} --change-set-name preview --change-set-type CREATE "
                f"--import-existing-resources --template-body file://baseline.yaml --capabilities CAPABILITY_NAMED_IAM "
                f"--parameters {params}{' ' + extra if extra else ''}",
                f"aws cloudformation describe-change-set --region {c['primary_region'] or '<region>'} "
                f"--stack-name {STACK_SET} --change-set-name preview"]
    out += ["```", "", "Then the StackSet, from the tooling account:", "", "```sh",
            f"aws cloudformation create-stack-set --stack-set-name {STACK_SET} --template-body file://baseline.yaml "
            f"--permission-model SELF_MANAGED --capabilities CAPABILITY_NAMED_IAM "
            f"--administration-role-arn arn:aws:iam::{tooling}:role/{ADMIN_ROLE} --execution-role-name {EXEC_ROLE} "
            f"--parameters ParameterKey=ClientName,ParameterValue=placeholder{' ' + extra if extra else ''}"]
    for c in data["clients"]:
        if not c["crawled"]:
            continue
        out.append(f"aws cloudformation create-stack-instances --stack-set-name {STACK_SET} --accounts {c['account_id']} "
                   f"--regions {regions} --parameter-overrides "
                   f"{_params({'ClientName': c['client_name_parameter'], 'PrimaryRegion': c['primary_region'] or '<region>', **c['keeps']})} "
                   f"--operation-preferences FailureToleranceCount=0,MaxConcurrentCount=1")
    out += ["```", "", "The next client: add it to accounts.yaml, create its execution role, run the preview, then",
            "`create-stack-instances` for its account — onboarding in one command."]
    return out


def _shell_comment(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", text)


def plan_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


__all__ = ["STACK_SET", "client_parameter", "plan_data", "plan_json", "plan_md"]
