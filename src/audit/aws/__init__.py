"""Read-only AWS crawling: sessions and the guard, one collector per service, the crawler."""

from audit.aws.collectors import REGISTRY
from audit.aws.crawler import CrawlResult, crawl, crawl_command
from audit.aws.guard import ReadOnlyViolation, is_allowed
from audit.aws.policy import audit_role_policy
from audit.aws.session import AwsContext, AwsSettings, Target

__all__ = ["REGISTRY", "AwsContext", "AwsSettings", "CrawlResult", "ReadOnlyViolation", "Target",
           "audit_role_policy", "crawl", "crawl_command", "is_allowed"]
