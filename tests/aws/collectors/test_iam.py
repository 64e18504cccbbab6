from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from audit.aws.collectors.base import Ctx
from audit.aws.collectors.iam import classify_trust, transform

GH = "token.actions.githubusercontent.com"


def test_roles_providers_users(account) -> None:
    iam = account.boto("iam", "us-east-1")
    acct = account.account_id
    provider = iam.create_open_id_connect_provider(Url=f"https://{GH}", ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    iam.create_role(RoleName="gha-deploy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {f"{GH}:sub": "repo:acme/web:*"}}}]}), Tags=[{"Key": "team", "Value": "web"}])
    iam.create_role(RoleName="cb-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.create_user(UserName="ci-bot")
    secret = iam.create_access_key(UserName="ci-bot")["AccessKey"]["SecretAccessKey"]
    rows, errors = account.collect("iam", "global")
    assert errors == []
    text = json.dumps(rows, default=str)
    assert secret not in text and "AccessKeyId" not in text
    roles = {r["name"]: r for r in rows["iam_roles"]}
    assert roles["gha-deploy"]["trust_kind"] == "github-oidc"
    assert "sub:repo:acme/web:*" in roles["gha-deploy"]["trusted_principals"]
    assert json.loads(roles["gha-deploy"]["tags"]) == {"team": "web"}
    assert roles["cb-role"]["trust_kind"] == "codebuild"
    (p,) = rows["iam_oidc_providers"]
    assert p["provider_kind"] == "github" and p["client_ids"] == ["sts.amazonaws.com"]
    (user,) = rows["iam_users"]
    assert (user["access_key_count"], user["active_key_count"], user["oldest_key_age_days"]) == (1, 1, 0)
    assert all(r["region"] == "global" and r["account_id"] == acct for t in rows.values() for r in t)


def test_trust_classification_is_pure() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]}
    assert classify_trust(doc, "111111111111") == ("cross-account", ["arn:aws:iam::999999999999:root"])
    assert classify_trust(doc, "999999999999")[0] == "other"
    gitlab = {"Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/gitlab.com"}}]}
    assert classify_trust(gitlab, "1")[0] == "gitlab-oidc"
    assert classify_trust("%7B%22Statement%22%3A%5B%5D%7D", "1") == ("other", [])


def test_old_active_key_is_a_finding_beside_a_key_without_date() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    ctx = Ctx("111111111111", "c", "global", "iam", lambda service: None, now)
    user = {"Arn": "arn:aws:iam::111111111111:user/bot", "UserName": "bot",
            "__keys": [{"Status": "Inactive", "CreateDate": None},
                       {"Status": "Active", "CreateDate": now - timedelta(days=200)}]}
    rows = transform({"roles": [], "providers": [], "users": [user]}, ctx, now=now)
    assert rows["iam_users"][0]["oldest_key_age_days"] == 200
    assert [f["kind"] for f in rows["findings"]] == ["long-lived-access-key"]
