"""Page sizes at their maxima: from the botocore model where it has one, else the API reference."""

from __future__ import annotations

import botocore.session

from audit.aws.limits import DOCUMENTED, limit_key, page_size


def test_the_largest_pages_the_apis_allow() -> None:
    assert {op: page_size(*op) for op in [
        ("ecs", "ListServices"), ("cloudwatch", "DescribeAlarms"), ("autoscaling", "DescribeAutoScalingGroups"),
        ("apigateway", "GetRestApis"), ("iam", "GetAccountAuthorizationDetails"), ("ecr", "ListImages"),
        ("ecr", "DescribeImages"), ("resourcegroupstaggingapi", "GetResources"), ("eks", "ListClusters"),
        ("cloudformation", "ListStackSets"), ("codepipeline", "ListPipelineExecutions"),
    ]} == {
        ("ecs", "ListServices"): 100, ("cloudwatch", "DescribeAlarms"): 100,
        ("autoscaling", "DescribeAutoScalingGroups"): 100, ("apigateway", "GetRestApis"): 500,
        ("iam", "GetAccountAuthorizationDetails"): 1000, ("ecr", "ListImages"): 1000, ("ecr", "DescribeImages"): 1000,
        ("resourcegroupstaggingapi", "GetResources"): 100, ("eks", "ListClusters"): 100,
        ("cloudformation", "ListStackSets"): 100, ("codepipeline", "ListPipelineExecutions"): 100,
    }
    # no page size where the API takes none, or where its size is not a number (apigatewayv2 MaxResults)
    assert page_size("cloudformation", "DescribeStacks") is None and limit_key("codebuild", "ListBuilds") is None
    assert page_size("apigatewayv2", "GetApis") is None


def test_documented_maxima_are_only_where_the_model_has_none() -> None:
    session = botocore.session.get_session()
    for (service, op), size in DOCUMENTED.items():
        key = limit_key(service, op)
        assert key is not None, (service, op)  # a paginated read
        member = session.get_service_model(service).operation_model(op).input_shape.members[key]
        assert "max" not in member.metadata and member.type_name == "integer" and size > 0, (service, op)
