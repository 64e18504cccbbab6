from __future__ import annotations

import json
from collections import Counter

import pandas as pd
from tests.aws.collectors.helpers import collect_counting

SAM = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
       "Resources": {"Repo": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "shared-name"}}}}
PLAIN = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "plain-bucket-x"}}}}


def test_stacks_resources_and_iac_tool(account) -> None:
    cfn = account.boto("cloudformation")
    cfn.create_stack(StackName="data-sam", TemplateBody=json.dumps(SAM), Tags=[{"Key": "team", "Value": "data"}])
    cfn.create_stack(StackName="plain", TemplateBody=json.dumps(PLAIN))
    rows, errors = account.collect("cloudformation")
    assert errors == []
    stacks = {s["name"]: s for s in rows["stacks"]}
    assert stacks["data-sam"]["iac_tool"] == "sam" and stacks["plain"]["iac_tool"] == "cloudformation"
    assert json.loads(stacks["data-sam"]["tags"]) == {"team": "data"}
    assert stacks["plain"]["resource_count"] == 1
    res = {(r["stack_name"], r["resource_type"], r["physical_id"]) for r in rows["stack_resources"]}
    assert ("data-sam", "AWS::ECR::Repository", "shared-name") in res
    assert ("plain", "AWS::S3::Bucket", "plain-bucket-x") in res


def test_iac_tool_detection_is_pure() -> None:
    from audit.aws.collectors.cloudformation import iac_tool

    assert iac_tool({"StackName": "x"}, {"Resources": {"CDKMetadata": {"Type": "AWS::CDK::Metadata"}}}) == "cdk"
    assert iac_tool({"StackName": "x"}, "Parameters:\n  BootstrapVersion:\n    Type: String") == "cdk"
    assert iac_tool({"StackName": "svc-dev", "Tags": [{"Key": "copilot-application", "Value": "a"}]}, {}) == "copilot"
    assert iac_tool({"StackName": "amplify-app-dev-1234"}, {}) == "amplify"
    assert iac_tool({"StackName": "x", "Outputs": [{"OutputKey": "ServerlessDeploymentBucketName"}]},
                    {}) == "serverless-framework"


def test_tool_rules_label_stacks_made_by_other_tools() -> None:
    """One table of rules (IAC_TOOL_RULES), first match wins: names, tag keys and outputs that the
    tools give their stacks, then what the template says."""
    from audit.aws.collectors.cloudformation import iac_tool

    def tagged(*keys: str) -> list[dict]:
        return [{"Key": k, "Value": "v"} for k in keys]

    cases = {
        "beanstalk": [{"StackName": "awseb-e-mxzqkp3a5b-stack"},
                      {"StackName": "x", "Tags": tagged("elasticbeanstalk:environment-name")}],
        "stackset": [{"StackName": "StackSet-baseline-roles-6d1e0c3a-1f2b-4c5d-9e8f-0a1b2c3d4e5f"}],
        "eksctl": [{"StackName": "eksctl-prod-cluster"},
                   {"StackName": "x", "Tags": tagged("alpha.eksctl.io/cluster-name")}],
        "copilot": [{"StackName": "svc-dev", "Tags": tagged("copilot-application", "copilot-environment")}],
        "amplify": [{"StackName": "amplify-app-dev-1234"}],
        "serverless-framework": [{"StackName": "x", "Outputs": [{"OutputKey": "ServerlessDeploymentBucketName"}]}],
    }
    for tool, stacks in cases.items():
        for stack in stacks:
            assert iac_tool(stack, SAM) == tool, (tool, stack)  # the stack's own marks beat its template
    plain = {"StackName": "x"}
    assert iac_tool(plain, {"Resources": {"CDKMetadata": {"Type": "AWS::CDK::Metadata"}}}) == "cdk"
    assert iac_tool(plain, {"Resources": {"F": {"Type": "AWS::Lambda::Function",
                                                "Metadata": {"aws:cdk:path": "App/F/Resource"}}}}) == "cdk"
    assert iac_tool(plain, "Parameters:\n  BootstrapVersion:\n    Type: String") == "cdk"
    assert iac_tool(plain, SAM) == "sam" and iac_tool(plain, PLAIN) == "cloudformation"
    assert iac_tool(plain, {"Resources": {"ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket"}}}) == \
        "serverless-framework"
    assert iac_tool({"StackName": "my-eksctl-notes"}, PLAIN) == "cloudformation"  # prefixes, not substrings


def test_docs_list_every_tool_rule() -> None:
    """docs/crawler.md shows the rule table as it is in the code."""
    from pathlib import Path

    from audit.aws.collectors.cloudformation import IAC_TOOL_RULES

    doc = (Path(__file__).parents[3] / "docs" / "crawler.md").read_text()
    for rule in IAC_TOOL_RULES:
        pattern = rule.pattern.replace("|", "\\|")  # a table cell escapes its pipes
        assert f"| {rule.tool} | {rule.where} | `{pattern}` |" in doc, rule


def test_nested_stacks_are_marked_and_owned_by_their_root(account) -> None:
    """DescribeStacks gives a nested stack ParentId and RootId (stack ids;
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html); moto does not,
    the backend is given them as AWS has them. A nested stack is not a stack of its own: its resources
    are managed by the root, and the analysis counts only the root."""
    from audit.analysis.resources import stack_targets_by_type, top_level_stacks
    from audit.aws.managed import fill_managed_by
    from audit.demo.backend_fixes import stack_nesting

    s3 = account.boto("s3")
    s3.create_bucket(Bucket="nested-templates", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    inner = {"Resources": {"Repo": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "inner-repo"}}}}
    s3.put_object(Bucket="nested-templates", Key="inner.json", Body=json.dumps(inner).encode())
    middle = {"Resources": {"Inner": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": "https://nested-templates.s3.amazonaws.com/inner.json"}}}}
    s3.put_object(Bucket="nested-templates", Key="middle.json", Body=json.dumps(middle).encode())
    root = {"Resources": {"Middle": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": "https://nested-templates.s3.amazonaws.com/middle.json"}}}}
    account.boto("cloudformation").create_stack(StackName="app", TemplateBody=json.dumps(root))
    stack_nesting(account.account_id, "eu-west-1")
    rows, errors = account.collect("cloudformation")
    assert errors == []
    names = {s["name"].rsplit("-", 2)[-2] if s["name"] != "app" else "app": s["name"] for s in rows["stacks"]}
    assert names["Middle"].startswith("app-Middle-") and names["Inner"].startswith(names["Middle"] + "-Inner-")
    got = {s["name"]: (s["parent_stack"], s["root_stack"]) for s in rows["stacks"]}
    assert got == {"app": (None, None), names["Middle"]: ("app", "app"), names["Inner"]: (names["Middle"], "app")}
    repo = {"region": "eu-west-1", "arn": f"arn:aws:ecr:eu-west-1:{account.account_id}:repository/inner-repo",
            "name": "inner-repo"}
    tables = {**rows, "ecr_repositories": [repo]}
    fill_managed_by(tables)
    assert repo["managed_by"] == "app"
    assert {s["name"]: s["managed_by"] for s in rows["stacks"]} == {"app": None, names["Middle"]: "app",
                                                                    names["Inner"]: "app"}
    inv = {t: pd.DataFrame(r) for t, r in tables.items()}
    assert top_level_stacks(inv)["name"].tolist() == ["app"]
    assert set(stack_targets_by_type(inv)) <= {(account.account_id, "eu-west-1", "app")}


def test_a_stacksets_physical_id_is_its_stackset_id() -> None:
    """The physical id of an AWS::CloudFormation::StackSet resource (what Ref returns) is its
    StackSetId, `name:uuid`, and its ARN is arn:...:stackset/<StackSetId>
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html,
    API_StackSet.html). moto cannot create the resource type: the documented shapes, through the
    crawler's own matching."""
    from audit.aws.managed import fill_managed_by

    set_id = "baseline-roles:6d1e0c3a-1f2b-4c5d-9e8f-0a1b2c3d4e5f"
    stackset = {"region": "eu-west-1", "name": "baseline-roles",
                "arn": f"arn:aws:cloudformation:eu-west-1:111122223333:stackset/{set_id}"}
    other = {"region": "eu-west-1", "name": "other",
             "arn": "arn:aws:cloudformation:eu-west-1:111122223333:stackset/other:6d1e0c3a-1f2b-4c5d-9e8f-0a1b2c3d4e5f"}
    tables = {"stacksets": [stackset, other], "stack_resources": [
        {"region": "eu-west-1", "stack_name": "org-baseline", "resource_type": "AWS::CloudFormation::StackSet",
         "physical_id": set_id}]}
    fill_managed_by(tables)
    assert stackset["managed_by"] == "org-baseline"
    assert other["managed_by"] is None  # same uuid, other name: the id is the whole name:uuid


def test_unchanged_stacks_are_copied_from_the_previous_snapshot(account, tmp_path) -> None:
    """A second crawl reads no template and no resource list for a stack whose LastUpdatedTime did not
    move, and yields the same rows; a stack that changed is read again (moto never sets
    LastUpdatedTime on update; AWS does: API_Stack.html, so the backend is given it)."""
    from datetime import timedelta

    from moto.cloudformation.models import cloudformation_backends

    from audit.aws.collectors import REGISTRY
    from audit.store.snapshots import open_snapshot, write_snapshot

    cfn = account.boto("cloudformation")
    cfn.create_stack(StackName="data-sam", TemplateBody=json.dumps(SAM))
    plain = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    cfn.create_stack(StackName="plain", TemplateBody=json.dumps(plain))
    # a StackSet instance: its name decides the tool whatever its template says, so no GetTemplate
    cfn.create_stack(StackName="StackSet-baseline-0f9c2d6e", TemplateBody=json.dumps(
        {**SAM, "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}))

    def crawl(previous) -> tuple[dict, Counter]:
        ctx = account.ctx("cloudformation")
        if previous is not None:  # what the crawler hands the collector: its `reuses` tables, this region
            ctx.previous = {t: [r for r in previous.account_rows(t, ctx.account_id) if r.get("region") == ctx.region]
                            for t in REGISTRY["cloudformation"].reuses}
        rows, calls = collect_counting(ctx, "cloudformation")
        assert ctx.errors == []
        return rows, calls

    first, calls1 = crawl(None)
    assert calls1["GetTemplate"] == 2 and calls1["ListStackResources"] == 3
    assert {s["name"]: (s["iac_tool"], s["template_tool"]) for s in first["stacks"]} == {
        "data-sam": ("sam", "sam"), "plain": ("cloudformation", "cloudformation"),
        "StackSet-baseline-0f9c2d6e": ("stackset", None)}
    snap = open_snapshot(write_snapshot(tmp_path, "2026-01-01", first))
    second, calls2 = crawl(snap)
    assert calls2["GetTemplate"] == 0 and calls2["ListStackResources"] == 0 and calls2["DescribeStacks"] == 1

    def key(rows: dict) -> dict:
        return {t: sorted(json.dumps(r, sort_keys=True, default=str) for r in rows[t]) for t in rows}

    assert key(second) == key(first)
    assert {s["name"]: s["iac_tool"] for s in second["stacks"]} == {"data-sam": "sam", "plain": "cloudformation",
                                                                   "StackSet-baseline-0f9c2d6e": "stackset"}

    cfn.update_stack(StackName="plain", TemplateBody=json.dumps(
        {"Resources": {**plain["Resources"], "Topic": {"Type": "AWS::SNS::Topic"}}}))
    stack = next(s for s in cloudformation_backends[account.account_id]["eu-west-1"].stacks.values()
                 if s.name == "plain")
    stack.last_updated_time = stack.creation_time + timedelta(minutes=5)
    third, calls3 = crawl(snap)
    assert calls3["GetTemplate"] == 1 and calls3["ListStackResources"] == 1
    assert {s["name"]: s["resource_count"] for s in third["stacks"]} == {"data-sam": 1, "plain": 2,
                                                                        "StackSet-baseline-0f9c2d6e": 1}
