"""IAM (global): roles classified by who may assume them, OIDC providers, and users with their
access-key count and age (never key material; key ids are not kept either).

A role row also carries what an onboarding template needs to recreate it: path, attached managed
policy ARNs and inline policy *names* (the policy documents are never kept), the permissions
boundary, and its trust reduced to facts (trusted services and accounts, OIDC audiences and
subjects, whether an external id is required — never the external id itself). All of that comes
with GetAccountAuthorizationDetails; only MaxSessionDuration is not in its RoleDetail shape, so one
paginated ListRoles (1,000 roles a page: one call for most accounts) adds it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from audit.aws.collectors.base import (
    Collector,
    Ctx,
    Rows,
    arn_account,
    finding,
    operations,
    pages,
    paginate,
    resource_row,
)

SERVICE_KINDS = {"codebuild.amazonaws.com": "codebuild", "codepipeline.amazonaws.com": "codepipeline",
                 "codedeploy.amazonaws.com": "codedeploy", "cloudformation.amazonaws.com": "cloudformation"}
OLD_KEY_DAYS = 90


def get_iam(ctx: Ctx) -> dict[str, Any]:
    """Roles and users with their tags in one paginated GetAccountAuthorizationDetails (instead of a
    GetRole/ListUserTags per item); OIDC providers and access keys per item."""
    iam = ctx.client("iam")
    roles, users = ctx.soft("GetAccountAuthorizationDetails", _roles_and_users, iam, default=([], []))
    # a failed ListRoles costs max_session_seconds only (null), never the roles
    sessions = ctx.soft("ListRoles", _max_sessions, iam) if roles else {}
    for r in roles:
        r["__max_session"] = None if sessions is None else sessions.get(r["Arn"])
    providers = []
    listed = ctx.soft("ListOpenIDConnectProviders", lambda: iam.list_open_id_connect_providers()
                      .get("OpenIDConnectProviderList", []), default=[])  # roles and users do not depend on it
    for p in listed:
        arn = p["Arn"]
        detail = ctx.soft("GetOpenIDConnectProvider", lambda a=arn: iam.get_open_id_connect_provider(
            OpenIDConnectProviderArn=a), default={}) or {}
        providers.append({"Arn": arn, **{k: v for k, v in detail.items() if k != "ResponseMetadata"}})
    for u in users:
        name = u["UserName"]
        keys = ctx.soft("ListAccessKeys", pages, iam, "list_access_keys", "AccessKeyMetadata", UserName=name, default=None)
        # keep only status and age: the key id is not needed for the audit
        u["__keys"] = None if keys is None else [{"Status": k.get("Status"), "CreateDate": k.get("CreateDate")}
                                                 for k in keys]
        u["__tags"] = u.pop("Tags", None)
        for drop in ("UserPolicyList", "AttachedManagedPolicies", "GroupList"):
            u.pop(drop, None)
    return {"roles": roles, "providers": providers, "users": users}


def _roles_and_users(iam: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    roles: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    for page in paginate(iam, "get_account_authorization_details", Filter=["Role", "User"]):
        roles += [r for r in page.get("RoleDetailList", []) if not r.get("Path", "/").startswith("/aws-service-role/")]
        users += [dict(u) for u in page.get("UserDetailList", [])]
    return roles, users


def _max_sessions(iam: Any) -> dict[str, int | None]:
    """Role ARN -> MaxSessionDuration (seconds), which GetAccountAuthorizationDetails does not return."""
    return {r["Arn"]: r.get("MaxSessionDuration") for r in pages(iam, "list_roles", "Roles")}


def _policy(doc: Any) -> dict[str, Any]:
    if isinstance(doc, str):
        return json.loads(unquote(doc))
    return doc or {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def classify_trust(doc: Any, account_id: str) -> tuple[str, list[str]]:
    """(trust_kind, trusted principals/subjects) from an assume-role policy document (pure)."""
    kinds: list[str] = []
    principals: list[str] = []
    for st in _as_list(_policy(doc).get("Statement")):
        if st.get("Effect", "Allow") != "Allow":
            continue
        principal = st.get("Principal") or {}
        if principal == "*":
            principal = {"AWS": "*"}
        for fed in _as_list(principal.get("Federated")):
            principals.append(fed)
            kinds.append("github-oidc" if "token.actions.githubusercontent.com" in fed else
                         "gitlab-oidc" if "gitlab" in fed else
                         "bitbucket-oidc" if "bitbucket" in fed else "other-oidc")
        for service in _as_list(principal.get("Service")):
            principals.append(service)
            kinds.append(SERVICE_KINDS.get(service, "other"))
        for aws in _as_list(principal.get("AWS")):
            principals.append(aws)
            other = aws == "*" or (arn_account(aws) or aws) != account_id
            kinds.append("cross-account" if other else "other")
        for cond in (st.get("Condition") or {}).values():
            for key, values in (cond or {}).items():
                if key.endswith(":sub"):
                    principals += [f"sub:{v}" for v in _as_list(values)]
    order = ["github-oidc", "gitlab-oidc", "bitbucket-oidc", "other-oidc", "cross-account", "codebuild",
             "codepipeline", "codedeploy", "cloudformation", "other"]
    kind = min(kinds, key=order.index) if kinds else "other"
    return kind, list(dict.fromkeys(principals))


def _unique(items: list[str]) -> list[str]:
    """In first-seen order, without repeats."""
    return list(dict.fromkeys(items))


def _allowed(doc: Any) -> list[dict[str, Any]]:
    return [st for st in _as_list(_policy(doc).get("Statement")) if st.get("Effect", "Allow") == "Allow"]


def _account_of(principal: str) -> str | None:
    """The 12-digit account of a Principal.AWS entry (an ARN or a bare id), '*' as '*'; None for
    what names no account (a deleted principal shows as its unique id, AROA...)."""
    if principal == "*":
        return "*"
    account = arn_account(principal) or principal
    return account if account.isdigit() and len(account) == 12 else None


def trust_facts(doc: Any) -> dict[str, Any]:
    """The trust policy reduced to what a template needs (pure): services and accounts trusted,
    OIDC `aud`/`sub` condition values, and whether an `sts:ExternalId` condition is required.
    Only Allow statements count. The external id's value is never returned: it is a shared secret.
    Condition keys are case-insensitive in IAM, so they are compared in lower case."""
    services: list[str] = []
    accounts: list[str] = []
    audiences: list[str] = []
    subjects: list[str] = []
    external_id = False
    for st in _allowed(doc):
        principal = st.get("Principal") or {}
        if principal == "*":
            principal = {"AWS": "*"}
        services += [str(v) for v in _as_list(principal.get("Service"))]
        accounts += [a for a in map(_account_of, map(str, _as_list(principal.get("AWS")))) if a]
        for cond in (st.get("Condition") or {}).values():
            for key, values in (cond or {}).items():
                low = key.lower()
                if low == "sts:externalid":
                    external_id = True
                elif low.endswith(":aud"):
                    audiences += [str(v) for v in _as_list(values)]
                elif low.endswith(":sub"):
                    subjects += [str(v) for v in _as_list(values)]
    return {"external_id_required": external_id, "oidc_audiences": _unique(audiences),
            "oidc_subjects": _unique(subjects), "trust_services": _unique(services),
            "trust_accounts": _unique(accounts)}


def role_columns(role: Mapping[str, Any]) -> dict[str, Any]:
    """A RoleDetail's own columns (pure): policy ARNs and inline policy names, never documents."""
    return {"path": role.get("Path"), "max_session_seconds": role.get("__max_session"),
            "managed_policy_arns": [p["PolicyArn"] for p in role.get("AttachedManagedPolicies") or []],
            "inline_policy_names": [p["PolicyName"] for p in role.get("RolePolicyList") or []],
            "permissions_boundary_arn": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            **trust_facts(role.get("AssumeRolePolicyDocument"))}


def provider_kind(url: str) -> str:
    return ("github" if "githubusercontent" in url else "gitlab" if "gitlab" in url else
            "bitbucket" if "bitbucket" in url else "other")


def transform(raw: Mapping[str, Any], ctx: Ctx, now: datetime | None = None) -> Rows:
    now = now or datetime.now(UTC)
    roles = []
    for r in raw["roles"]:
        kind, principals = classify_trust(r.get("AssumeRolePolicyDocument"), ctx.account_id)
        roles.append(resource_row(ctx, r["Arn"], r["RoleName"], r.get("Tags"), trust_kind=kind,
                                  trusted_principals=principals, created=r.get("CreateDate"),
                                  last_used=(r.get("RoleLastUsed") or {}).get("LastUsedDate"), **role_columns(r)))
    providers = [resource_row(ctx, p["Arn"], p["Arn"].rsplit("oidc-provider/", 1)[-1], p.get("Tags"),
                              url=p.get("Url"), provider_kind=provider_kind(p.get("Url") or p["Arn"]),
                              client_ids=p.get("ClientIDList", []))
                 for p in raw["providers"]]
    users, findings = [], []
    for u in raw["users"]:
        keys = u.get("__keys")
        aged = [(k, (now - k["CreateDate"]).days) for k in keys or [] if k.get("CreateDate")]
        ages = [a for _, a in aged]
        active = None if keys is None else sum(1 for k in keys if k.get("Status") == "Active")
        users.append(resource_row(ctx, u["Arn"], u["UserName"], u.get("__tags"),
                                  access_key_count=None if keys is None else len(keys), active_key_count=active,
                                  oldest_key_age_days=max(ages) if ages else None, created=u.get("CreateDate")))
        old = [a for k, a in aged if k.get("Status") == "Active" and a > OLD_KEY_DAYS]
        if old:
            findings.append(finding(ctx.where, "iam", u["Arn"], u["UserName"], "long-lived-access-key",
                                    f"{len(old)} active key(s) older than {OLD_KEY_DAYS} days (oldest {max(old)})"))
    return {"iam_roles": roles, "iam_oidc_providers": providers, "iam_users": users, "findings": findings}


def collect(ctx: Ctx) -> Rows:
    return transform(get_iam(ctx), ctx)


COLLECTOR = Collector(
    "iam", collect, ("iam_roles", "iam_oidc_providers", "iam_users", "findings"),
    operations("iam", "GetAccountAuthorizationDetails", "ListRoles", "ListOpenIDConnectProviders",
               "GetOpenIDConnectProvider", "ListAccessKeys"),
)
