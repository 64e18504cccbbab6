"""`discover: organizations` lists client accounts from the management account, filtered by tags."""

from __future__ import annotations

import contextlib

from audit.aws.discover import discovered_clients
from audit.aws.session import AwsSettings
from audit.config import AccountsConfig


def test_accounts_from_organizations_filtered_by_tags(moto_url, account) -> None:
    """The management account is a fresh one, reached through `management_role_arn`."""
    org = account.boto("organizations", "us-east-1")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")

    def add(name: str, tags: dict[str, str]) -> str:
        status = org.create_account(Email=f"{name}@example.com", AccountName=name,
                                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return status["CreateAccountStatus"]["AccountId"]

    shop = add("shop-prod", {"managed-by": "consultancy", "client": "shop", "teams": "web, data"})
    add("internal-sandbox", {"managed-by": "someone-else"})
    excluded = add("old-client", {"managed-by": "consultancy", "client": "old"})
    config = AccountsConfig.model_validate({
        "clients": [{"name": "hand-listed", "account_id": "000000000777"}],
        "discover": {"organizations": {"tags": {"managed-by": "consultancy"}, "exclude_account_ids": [excluded],
                                       "management_role_arn": f"arn:aws:iam::{account.account_id}:role/OrgRead"}},
    })
    clients = discovered_clients(config, AwsSettings(endpoint_url=moto_url))
    by_id = {c.account_id: c for c in clients}
    assert "000000000777" in by_id and shop in by_id and excluded not in by_id
    assert by_id[shop].name == "shop" and by_id[shop].teams == ["web", "data"]
    assert len([c for c in clients if c.tags.get("managed-by") == "someone-else"]) == 0
