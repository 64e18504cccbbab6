"""Pages as AWS cuts them, in fleet account regions (audit.demo.moto_patches): the realistic
benchmark counts the calls AWS would get, not moto's one-page or 50-stack answers.

- Lambda ListFunctions: "ListFunctions returns a maximum of 50 items in each response, even if you
  set the number higher" (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).
- CloudWatch DescribeAlarms: MaxRecords alarms a page, 50 unless asked
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
- CloudFormation DescribeStacks: a next page only when the output exceeds 1 MB
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
Outside fleet regions moto answers as it does.
"""

from __future__ import annotations

import io
import json
import zipfile

import botocore.session
import pytest

from audit.demo import moto_patches
from audit.demo.backend_fixes import codecommit_listing


def _pages(client, op: str, key: str, **kwargs) -> list[int]:
    return [len(p[key]) for p in client.get_paginator(op).paginate(**kwargs)]


@pytest.fixture(params=[True, False], ids=["fleet-region", "plain-moto"])
def fleet_region(request, account) -> bool:
    moto_patches.install()
    if request.param:
        codecommit_listing(account.account_id, ["eu-west-1"])
    return request.param


def test_list_functions_pages_at_50_whatever_max_items(account, fleet_region) -> None:
    lam = account.boto("lambda")
    role = account.boto("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("index.py", "def handler(e, c): return e\n")
    for n in range(60):
        lam.create_function(FunctionName=f"f{n:02d}", Runtime="python3.12", Role=role, Handler="index.handler",
                            Code={"ZipFile": code.getvalue()})
    pages = _pages(lam, "list_functions", "Functions", PaginationConfig={"PageSize": 1000})
    assert pages == ([50, 10] if fleet_region else [60])


def test_describe_alarms_pages_at_max_records(account, fleet_region) -> None:
    cw = account.boto("cloudwatch")
    for n in range(60):
        cw.put_metric_alarm(AlarmName=f"a{n:02d}", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    assert _pages(cw, "describe_alarms", "MetricAlarms") == ([50, 10] if fleet_region else [60])
    assert _pages(cw, "describe_alarms", "MetricAlarms", PaginationConfig={"PageSize": 100}) == [60]
    names = [a["AlarmName"] for p in cw.get_paginator("describe_alarms").paginate() for a in p["MetricAlarms"]]
    assert names == sorted(names) and len(set(names)) == 60


def test_describe_stacks_pages_per_megabyte_not_per_50_stacks(account, fleet_region) -> None:
    cfn = account.boto("cloudformation")
    template = json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    for n in range(60):
        cfn.create_stack(StackName=f"s{n:02d}", TemplateBody=template)
    assert _pages(cfn, "describe_stacks", "Stacks") == ([60] if fleet_region else [50, 10])
    assert len(cfn.describe_stacks(StackName="s07")["Stacks"]) == 1  # one stack by name: as before


def test_the_model_documents_these_page_sizes() -> None:
    """The service models botocore ships say the same (the docs above are their source)."""
    session = botocore.session.get_session()
    lam = session.get_service_model("lambda").operation_model("ListFunctions").input_shape.members["MaxItems"]
    assert "maximum of 50" in lam.documentation
    cfn = session.get_service_model("cloudformation").operation_model("DescribeStacks").output_shape
    assert "1 MB" in cfn.members["NextToken"].documentation
    cw = session.get_service_model("cloudwatch").operation_model("DescribeAlarms").input_shape.members["MaxRecords"]
    assert cw.metadata.get("max") == 100
