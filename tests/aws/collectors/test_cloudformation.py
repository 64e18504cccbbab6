from __future__ import annotations

import json

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
