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


def test_account_state_is_read_before_the_retired_status(moto_url, account) -> None:
    """Organizations' `Account.Status` is retired (September 2026): `State` says whether an account is
    ACTIVE, and a PENDING_ACTIVATION account still reads Status ACTIVE
    (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html). Through moto,
    with the fleet's patch describing marked accounts without Status as AWS now does."""
    from moto.organizations.models import organizations_backends

    from audit.aws.discover import is_active
    from audit.demo import moto_patches

    moto_patches.install()
    org = account.boto("organizations", "us-east-1")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")

    def add(name: str) -> str:
        return org.create_account(Email=f"{name}@example.com", AccountName=name, Tags=[
            {"Key": "client", "Value": name}, {"Key": "run", "Value": account.account_id}])["CreateAccountStatus"]["AccountId"]

    live, pending, closed, legacy = add("live"), add("pending"), add("closed"), add("legacy")
    backend = next(b for b in organizations_backends[account.account_id].values() if b.org is not None)
    fakes = {a.id: a for a in backend.accounts}
    for acct_id in (live, closed):
        fakes[acct_id].fleet_status_retired = True
    fakes[pending].state = "PENDING_ACTIVATION"  # Status still ACTIVE
    fakes[closed].state = "CLOSED"
    listed = {a["Id"]: a for a in org.list_accounts()["Accounts"]}
    assert "Status" not in listed[live] and listed[pending]["Status"] == "ACTIVE"
    config = AccountsConfig.model_validate({"discover": {"organizations": {
        "tags": {"run": account.account_id},
        "management_role_arn": f"arn:aws:iam::{account.account_id}:role/OrgRead"}}})
    found = {c.account_id for c in discovered_clients(config, AwsSettings(endpoint_url=moto_url))}
    assert found == {live, legacy}
    # the documented shapes: State wins, the retired Status only where State is absent
    assert not is_active({"State": "SUSPENDED", "Status": "ACTIVE"}) and is_active({"Status": "ACTIVE"})
    assert not is_active({"Status": "SUSPENDED"}) and is_active({"State": "ACTIVE"})
