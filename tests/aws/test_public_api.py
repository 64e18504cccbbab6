"""audit.aws's exported names are a promise (other parts and users call them)."""

import inspect

import audit.aws


def test_exports() -> None:
    assert audit.aws.__all__ == ["REGISTRY", "AwsContext", "AwsSettings", "CrawlResult", "ReadOnlyViolation",
                                 "Target", "audit_role_policy", "crawl", "crawl_command", "is_read_only"]
    for name in audit.aws.__all__:
        assert hasattr(audit.aws, name), name


def test_crawl_signature_is_the_contract() -> None:
    params = inspect.signature(audit.aws.crawl).parameters
    assert list(params) == ["config", "out", "day", "profile", "endpoint_url", "workers", "accounts_only", "regions",
                            "services", "resume", "history_days", "executor", "progress", "history_until"]
    cli = inspect.signature(audit.aws.crawl_command).parameters
    assert {"accounts_file", "out", "profile", "endpoint_url", "workers", "accounts_only", "regions", "services",
            "resume", "day", "history_days", "list_services"} == set(cli)
