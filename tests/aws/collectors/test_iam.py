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


def test_role_policies_boundary_session_and_trust_facts_without_documents_or_external_id(account) -> None:
    """One role with everything a template needs: path, MaxSessionDuration (from ListRoles: the
    RoleDetail of GetAccountAuthorizationDetails has none), an attached managed policy, an inline
    policy (its name only), a permissions boundary and an external-id trust. The inline policy's
    document and the external id's value never reach a row."""
    iam = account.boto("iam", "us-east-1")
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::inline-doc-marker/*"}]})
    managed = iam.create_policy(PolicyName="deploy", PolicyDocument=document)["Policy"]["Arn"]
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=document)["Policy"]["Arn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-id-value-never-stored"}}}]}
    iam.create_role(RoleName="audit", Path="/ci/", AssumeRolePolicyDocument=json.dumps(trust),
                    MaxSessionDuration=7200, PermissionsBoundary=boundary)
    iam.attach_role_policy(RoleName="audit", PolicyArn=managed)
    iam.put_role_policy(RoleName="audit", PolicyName="read-artifacts", PolicyDocument=document)
    rows, errors = account.collect("iam", "global")
    assert errors == []
    (role,) = rows["iam_roles"]
    assert {k: role[k] for k in ("path", "max_session_seconds", "managed_policy_arns", "inline_policy_names",
                                 "permissions_boundary_arn", "external_id_required", "trust_accounts",
                                 "trust_services", "oidc_audiences", "oidc_subjects")} == {
        "path": "/ci/", "max_session_seconds": 7200, "managed_policy_arns": [managed],
        "inline_policy_names": ["read-artifacts"], "permissions_boundary_arn": boundary,
        "external_id_required": True, "trust_accounts": ["999999999999"], "trust_services": [],
        "oidc_audiences": [], "oidc_subjects": []}
    text = json.dumps(rows, default=str)
    assert "ext-id-value-never-stored" not in text and "inline-doc-marker" not in text


def test_trust_facts_from_the_documented_policy_shapes() -> None:
    """Trust policies as AWS documents them: a third-party role requiring an external id
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html),
    GitHub OIDC with `aud` under StringEquals and `sub` as a StringLike list
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html), service
    principals as a list, AWS principals as ARNs, a bare account id, '*' and a deleted principal's
    unique id. Deny statements grant nothing; condition keys are case-insensitive."""
    from audit.aws.collectors.iam import role_columns, trust_facts

    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666",
                                                   "arn:aws:iam::111122223333:role/ops", "AROAEXAMPLEID123"]},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "Unique-ExtId-4711"}}},
        {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{GH}"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                       "StringLike": {f"{GH}:sub": ["repo:acme/web:ref:refs/heads/main", "repo:acme/api:*"]}}},
        {"Effect": "Allow", "Principal": {"Service": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"]},
         "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::777777777777:root"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"STS:EXTERNALID": "x", f"{GH}:sub": "repo:evil/*"}}},
    ]}
    facts = trust_facts(json.dumps(doc))
    assert facts == {
        "external_id_required": True, "oidc_audiences": ["sts.amazonaws.com"],
        "oidc_subjects": ["repo:acme/web:ref:refs/heads/main", "repo:acme/api:*"],
        "trust_services": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"],
        "trust_accounts": ["111122223333", "444455556666"]}
    assert trust_facts({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                                       "Condition": {"StringEquals": {"sts:externalid": "e"}}}]}) == {
        "external_id_required": True, "oidc_audiences": [], "oidc_subjects": [], "trust_services": [],
        "trust_accounts": ["*"]}
    # a RoleDetail as GetAccountAuthorizationDetails documents it
    # (https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleDetail.html)
    detail = {"Path": "/", "RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r",
              "AssumeRolePolicyDocument": doc,
              "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [{"Sid": "doc-marker"}]}}],
              "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess",
                                           "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}
    cols = role_columns(detail)
    assert cols["inline_policy_names"] == ["inline"]
    assert cols["managed_policy_arns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert cols["permissions_boundary_arn"] is None and cols["max_session_seconds"] is None
    assert "Unique-ExtId-4711" not in json.dumps(cols) and "doc-marker" not in json.dumps(cols)
