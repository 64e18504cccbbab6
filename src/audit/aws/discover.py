"""`discover: organizations`: client accounts listed from an Organizations management account.

Accounts come from ListAccounts (or the given OUs, recursively), filtered by account tags and the
exclude list; the client name and teams come from account tags. Hand-listed clients win over
discovered ones with the same account id. Only ACTIVE accounts are clients: their `State` says so
(`Status` is retired since September 2026 and is read only where `State` is absent;
https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from audit.aws.collectors.base import pages
from audit.aws.failures import AWS_ERRORS, classify, message_of
from audit.aws.session import AwsContext, AwsSettings, Target
from audit.config import AccountsConfig, Client
from audit.errors import CollectionError


def _accounts_under(org: Any, parent: str) -> list[dict[str, Any]]:
    found = pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent)
    for ou in pages(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent):
        found += _accounts_under(org, ou["Id"])
    return found


def is_active(account: dict[str, Any]) -> bool:
    """ACTIVE by `State` (PENDING_ACTIVATION, SUSPENDED, PENDING_CLOSURE, CLOSED are not), else by
    the retired `Status`, else assumed active."""
    return (account.get("State") or account.get("Status") or "ACTIVE") == "ACTIVE"


def _name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._\- ]+", "-", text).strip("-. ") or "account"
    return cleaned[:128] if cleaned[0].isalnum() else f"a{cleaned}"[:128]


def discovered_clients(config: AccountsConfig, settings: AwsSettings) -> list[Client]:
    """The hand-listed clients plus those discovered through Organizations (with the crawl's
    profile, endpoint, retry and timeout settings)."""
    spec = config.discover.organizations if config.discover else None
    clients = list(config.clients)
    if spec is None:
        return clients
    aws = AwsContext(settings, day=datetime.now(UTC).date().isoformat())
    try:
        if spec.management_role_arn:
            account = spec.management_role_arn.split(":")[4]
            target = Target(account, "organizations", spec.management_role_arn)
            aws.assume(target)
            org = aws.client(target, aws.settings.home_region, "organizations")
        else:
            org = aws.base_client("organizations")
        if spec.ou_ids:
            accounts = [a for ou in spec.ou_ids for a in _accounts_under(org, ou)]
        else:
            accounts = pages(org, "list_accounts", "Accounts")
        known = {c.account_id for c in clients}
        names = {c.name for c in clients}
        for acct in sorted(accounts, key=lambda a: a["Id"]):
            if not is_active(acct) or acct["Id"] in known or acct["Id"] in spec.exclude_account_ids:
                continue
            tags = {t["Key"]: t["Value"] for t in pages(org, "list_tags_for_resource", "Tags", ResourceId=acct["Id"])}
            if any(tags.get(k) != v for k, v in spec.tags.items()):
                continue
            name = _name(tags.get(spec.client_tag) or acct.get("Name") or acct["Id"])
            if name in names:
                name = _name(f"{name}-{acct['Id']}")
            teams = [_name(t.strip()) for t in tags.get(spec.teams_tag, "").split(",") if t.strip()]
            clients.append(Client(name=name, account_id=acct["Id"], teams=teams, tags=tags))
            known.add(acct["Id"])
            names.add(name)
    except AWS_ERRORS as exc:
        klass, _ = classify(exc)
        raise CollectionError(f"organizations discovery failed: {message_of(exc, klass)}",
                              service="organizations", error_class=klass) from None
    return clients
