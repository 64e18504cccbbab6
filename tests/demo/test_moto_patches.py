"""The in-process additions to moto, read back over HTTP through boto3 on the session fleet."""

from __future__ import annotations


def _java_client(fleet, kind: str):
    return next(c for c in fleet.model.clients if c.java and c.java.kind == kind
                and c.account_id not in fleet.faults["assume_role_denied"])


def test_beanstalk_configuration_settings_and_application_tags(fleet, assume_in):
    spec = _java_client(fleet, "beanstalk")
    eb = assume_in(fleet, spec.account_id, spec.home_region).client("elasticbeanstalk",
                                                                      endpoint_url=fleet.endpoint_url)
    env = eb.describe_environments()["Environments"][0]
    assert env["SolutionStackName"].endswith("running Corretto 17") and env["EnvironmentId"].startswith("e-")
    settings = eb.describe_configuration_settings(ApplicationName=env["ApplicationName"],
                                                  EnvironmentName=env["EnvironmentName"])["ConfigurationSettings"]
    names = {(o["Namespace"], o["OptionName"]) for o in settings[0]["OptionSettings"]}
    assert ("aws:elasticbeanstalk:application:environment", "DB_PASSWORD") in names
    app = eb.describe_applications()["Applications"][0]
    tags = eb.list_tags_for_resource(ResourceArn=app["ApplicationArn"])["ResourceTags"]
    assert {"Key": "team", "Value": "java"} in tags


def test_codebuild_keeps_failed_builds_failed(fleet, assume_in):
    statuses = set()
    for spec in fleet.model.clients:
        if spec.account_id in fleet.faults["assume_role_denied"]:
            continue
        cb = assume_in(fleet, spec.account_id, spec.home_region).client("codebuild", endpoint_url=fleet.endpoint_url)
        ids = cb.list_builds()["ids"][:100]
        first = {b["id"]: b["buildStatus"] for b in cb.batch_get_builds(ids=ids)["builds"]}
        again = {b["id"]: b["buildStatus"] for b in cb.batch_get_builds(ids=ids)["builds"]}
        assert first == again  # reading does not rewrite history
        statuses |= set(first.values())
    assert "FAILED" in statuses


def test_stack_resources_hide_what_moto_could_not_create(fleet, assume_in):
    spec = next(c for c in fleet.model.clients if c.baseline.cdk_bootstrap
                and c.account_id not in fleet.faults["assume_role_denied"])
    cfn = assume_in(fleet, spec.account_id, spec.home_region).client("cloudformation",
                                                                       endpoint_url=fleet.endpoint_url)
    listed = cfn.list_stack_resources(StackName=f"{spec.name}-monitoring")["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in listed] == ["Dashboard9E4231ED"]
    assert "CDKMetadata" in cfn.get_template(StackName=f"{spec.name}-monitoring")["TemplateBody"]["Resources"]


def test_get_resources_lists_what_aws_lists_for_fleet_accounts(fleet, assume_in):
    spec = next(c for c in fleet.model.clients if c.account_id not in fleet.faults["assume_role_denied"])
    tagging = assume_in(fleet, spec.account_id, spec.home_region).client("resourcegroupstaggingapi",
                                                                           endpoint_url=fleet.endpoint_url)
    found = {}
    for page in tagging.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["codepipeline", "ecr", "codecommit", "lambda"], PaginationConfig={"PageSize": 100}):
        found.update({r["ResourceARN"]: {t["Key"]: t["Value"] for t in r["Tags"]}
                      for r in page["ResourceTagMappingList"]})
    services = {arn.split(":")[2] for arn in found}
    assert {"codepipeline", "ecr", "lambda"} <= services, services  # moto lists lambda itself
    assert all(tags.get("client") == spec.name for tags in found.values())


def test_batch_get_deployment_groups_answers_as_aws_in_fleet_accounts(fleet, assume_in):
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BatchGetDeploymentGroups.html:
    the documents GetDeploymentGroup gives, and errorMessage for names that do not exist."""
    import pytest
    from botocore.exceptions import ClientError

    found = 0
    for spec in fleet.model.clients:
        if spec.account_id in fleet.faults["assume_role_denied"]:
            continue
        cd = assume_in(fleet, spec.account_id, spec.home_region).client("codedeploy", endpoint_url=fleet.endpoint_url)
        for app in cd.list_applications()["applications"]:
            names = cd.list_deployment_groups(applicationName=app)["deploymentGroups"]
            answer = cd.batch_get_deployment_groups(applicationName=app, deploymentGroupNames=[*names, "nope"])
            single = [cd.get_deployment_group(applicationName=app, deploymentGroupName=n)["deploymentGroupInfo"]
                      for n in names]
            assert answer["deploymentGroupsInfo"] == single and "nope" in answer["errorMessage"]
            found += len(names)
        with pytest.raises(ClientError, match="ApplicationDoesNotExist"):
            cd.batch_get_deployment_groups(applicationName="no-such-app", deploymentGroupNames=["g"])
    assert found > 0


def _codecommit_client(fleet, assume_in):
    spec = next(c for c in fleet.model.clients if c.data and c.data.source == "codecommit"
                and c.account_id not in fleet.faults["assume_role_denied"])
    return spec, assume_in(fleet, spec.account_id, spec.home_region).client("codecommit", endpoint_url=fleet.endpoint_url)


def test_codecommit_batch_calls_answer_as_aws_in_fleet_accounts(fleet, assume_in):
    """https://docs.aws.amazon.com/codecommit/latest/APIReference/API_BatchGetRepositories.html and
    API_BatchGetCommits.html: metadata as GetRepository gives it, names not found listed apart; each
    commit the history wrote with its committer date as "timestamp format with GMT offset", unknown
    ids in `errors`, at most 100 ids per call."""
    import pytest
    from botocore.exceptions import ClientError

    spec, cc = _codecommit_client(fleet, assume_in)
    repo = spec.data.repo
    answer = cc.batch_get_repositories(repositoryNames=[repo, "nope"])
    assert answer["repositories"] == [cc.get_repository(repositoryName=repo)["repositoryMetadata"]]
    assert answer["repositoriesNotFound"] == ["nope"]
    with pytest.raises(ClientError, match="MaximumRepositoryNamesExceeded"):
        cc.batch_get_repositories(repositoryNames=[f"r{i}" for i in range(101)])

    from moto.codecommit.models import codecommit_backends

    stored = codecommit_backends[spec.account_id][spec.home_region].repositories[repo].fleet_commits
    sha, (message, when) = next(iter(stored.items()))
    got = cc.batch_get_commits(repositoryName=repo, commitIds=[sha, "f" * 40])
    (commit,) = got["commits"]
    assert (commit["commitId"], commit["message"]) == (sha, message)
    seconds, offset = commit["committer"]["date"].split()
    assert int(seconds) == int(when.timestamp()) and offset[0] in "+-" and len(offset) == 5
    assert [e["commitId"] for e in got["errors"]] == ["f" * 40]
    with pytest.raises(ClientError, match="CommitIdsLimitExceeded"):
        cc.batch_get_commits(repositoryName=repo, commitIds=[f"{i:040x}" for i in range(101)])
    with pytest.raises(ClientError, match="RepositoryDoesNotExist"):
        cc.batch_get_commits(repositoryName="no-such-repo", commitIds=[sha])

