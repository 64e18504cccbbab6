from __future__ import annotations

import json


def test_functions_keep_env_names_only(account) -> None:
    iam = account.boto("iam", "us-east-1")
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = account.boto("lambda")
    lam.create_function(FunctionName="ingest", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, MemorySize=256, Tags={"team": "data"},
                        Environment={"Variables": {"DB_PASSWORD": "lambda-secret-value", "STAGE": "prod"}})
    rows, errors = account.collect("lambda")
    assert errors == []
    assert "lambda-secret-value" not in json.dumps(rows, default=str)
    (fn,) = rows["lambda_functions"]
    assert fn["name"] == "ingest" and fn["runtime"] == "python3.12" and fn["package_type"] == "Zip"
    assert fn["env_var_names"] == ["DB_PASSWORD", "STAGE"] and fn["memory_mb"] == 256
    assert json.loads(fn["tags"]) == {"team": "data"} and fn["last_modified"] is not None
    assert [f["detail"] for f in rows["findings"]] == ["DB_PASSWORD"]


def test_secret_name_heuristic() -> None:
    from audit.names import looks_secret

    for name in ("DB_PASSWORD", "GITHUB_TOKEN", "apiKey", "AWS_SECRET_ACCESS_KEY", "private-key", "NPM_AUTH"):
        assert looks_secret(name), name
    for name in ("NODE_ENV", "PORT", "STAGE", "KEYSPACE_NAME", "MONKEY_COUNT", "TOKENIZER_MODEL"):
        assert not looks_secret(name), name


def test_environment_error_means_unknown_not_none(account) -> None:
    """Lambda returns `Environment.Error` {ErrorCode, Message} instead of `Variables` when it cannot
    decrypt them (https://docs.aws.amazon.com/lambda/latest/api/API_EnvironmentResponse.html); moto
    never does, so the function is marked for the fleet's patch (demo/moto_patches.py). The names are
    then unknown (null) with the error code: distinct from a function without variables ([])."""
    from moto.awslambda.models import lambda_backends

    from audit.demo import moto_patches

    moto_patches.install()
    iam = account.boto("iam", "us-east-1")
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = account.boto("lambda")
    for name, env in (("broken", {"Variables": {"API_TOKEN": "never-read"}}), ("plain", {})):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.h",
                            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, Environment=env)
    lambda_backends[account.account_id]["eu-west-1"].get_function("broken").fleet_env_error = "KMSAccessDeniedException"
    assert "Error" in lam.get_function_configuration(FunctionName="broken")["Environment"]
    rows, errors = account.collect("lambda")
    assert errors == []
    got = {r["name"]: (r["env_var_names"], r["env_error"]) for r in rows["lambda_functions"]}
    assert got == {"broken": (None, "KMSAccessDeniedException"), "plain": ([], None)}
    assert rows["findings"] == [] and "never-read" not in json.dumps(rows, default=str)
