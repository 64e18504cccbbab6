from __future__ import annotations

import json


def test_applications_and_environments(account) -> None:
    eb = account.boto("elasticbeanstalk")
    app = eb.create_application(ApplicationName="java-shop")["Application"]
    eb.create_environment(ApplicationName="java-shop", EnvironmentName="java-shop-prod",
                          SolutionStackName="64bit Amazon Linux 2 v4.3.0 running Corretto 17",
                          Tags=[{"Key": "team", "Value": "java"}])
    rows, errors = account.collect("beanstalk")
    (a,) = rows["beanstalk_applications"]
    assert a["name"] == "java-shop" and a["arn"] == app["ApplicationArn"]
    (e,) = rows["beanstalk_environments"]
    assert e["application_name"] == "java-shop" and json.loads(e["tags"]) == {"team": "java"}
    # moto lacks DescribeConfigurationSettings: ONE not-implemented error row, option names unknown (null)
    assert [(x["operation"], x["error_class"]) for x in errors] == [("DescribeConfigurationSettings", "not-implemented")]
    assert e["option_names"] is None
