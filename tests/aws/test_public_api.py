"""audit.aws's exported names are a promise (other parts and users call them)."""

import dataclasses
import inspect

import audit.aws
from audit.options import CrawlOptions


def test_exports() -> None:
    assert audit.aws.__all__ == ["REGISTRY", "AwsContext", "AwsSettings", "CrawlResult", "ReadOnlyViolation",
                                 "Target", "audit_role_policy", "crawl", "crawl_command", "is_allowed"]
    for name in audit.aws.__all__:
        assert hasattr(audit.aws, name), name


def test_crawl_signature_is_the_contract() -> None:
    params = inspect.signature(audit.aws.crawl).parameters
    assert list(params) == ["config", "out", "options", "executor"]
    assert [f.name for f in dataclasses.fields(CrawlOptions)] == [
        "day", "profile", "endpoint_url", "workers", "accounts_only", "regions", "services", "resume",
        "history_days", "history_until", "progress", "replace", "executor", "shard"]
    cli = inspect.signature(audit.aws.crawl_command).parameters
    assert list(cli) == ["accounts_file", "out", "options", "list_services"]
