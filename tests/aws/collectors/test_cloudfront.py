from __future__ import annotations

from audit.aws.collectors.cloudfront import origin_kind


def test_distributions_and_origin_kinds(account) -> None:
    cf = account.boto("cloudfront", "us-east-1")
    cf.create_distribution(DistributionConfig={
        "CallerReference": "ref-1", "Comment": "web", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o1", "DomainName": "web-assets.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all",
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "MinTTL": 0, "TrustedSigners": {"Enabled": False, "Quantity": 0}}})
    rows, errors = account.collect("cloudfront", "global")
    assert errors == []
    (d,) = rows["cloudfront_distributions"]
    assert d["origins"] == ["web-assets.s3.amazonaws.com"] and d["origin_kinds"] == ["s3"]
    assert d["enabled"] is True and d["arn"].startswith("arn:aws:cloudfront::")


def test_origin_kind() -> None:
    assert origin_kind("b.s3-website-eu-west-1.amazonaws.com") == "s3-website"
    assert origin_kind("x.eu-west-1.elb.amazonaws.com") == "alb"
    assert origin_kind("abc.execute-api.eu-west-1.amazonaws.com") == "apigateway"
    assert origin_kind("origin.example.com") == "custom"
