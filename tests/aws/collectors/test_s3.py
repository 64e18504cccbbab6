from __future__ import annotations

import json


def test_buckets_with_website_and_tags(account) -> None:
    s3 = account.boto("s3", "eu-west-1")
    site, plain = f"site-{account.account_id}", f"plain-{account.account_id}"
    for name in (site, plain):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_tagging(Bucket=site, Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
    rows, errors = account.collect("s3", "global")
    assert errors == []  # no website / no tags is an answer, not an error
    buckets = {b["name"]: b for b in rows["s3_buckets"]}
    assert set(buckets) == {site, plain}
    assert buckets[site]["website"] is True and buckets[plain]["website"] is False
    assert json.loads(buckets[site]["tags"]) == {"team": "web"} and buckets[plain]["tags"] == "{}"
    assert buckets[site]["bucket_region"] == "eu-west-1" and buckets[site]["region"] == "global"
