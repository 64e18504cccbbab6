"""List CodeCommit repositories of client accounts (repos.yaml `discover.codecommit`), read-only.

Uses the crawler's sessions (AssumeRole per account, read-only guard). A failure (role refused,
access denied, or an endpoint without ListRepositories, such as moto) becomes an `errors` row and
discovery goes on with the next account/region.
"""

from __future__ import annotations

from typing import Any

from audit.config import CodeCommitDiscovery, Defaults, RepoEntry
from audit.logs import redact

ROLE_NAME = Defaults().role_name


def discover(spec: CodeCommitDiscovery, *, known: set[str], day: str, endpoint_url: str | None = None,
             profile: str | None = None) -> tuple[list[RepoEntry], list[dict[str, Any]]]:
    """RepoEntry per CodeCommit repository not already in repos.yaml, plus errors rows."""
    from audit.aws.failures import classify, message_of
    from audit.aws.session import AwsContext, AwsSettings, Target

    found: list[RepoEntry] = []
    errors: list[dict[str, Any]] = []
    try:
        ctx = AwsContext(AwsSettings(profile=profile, endpoint_url=endpoint_url, max_attempts=2), day=day)
    except Exception as exc:  # noqa: BLE001 - any setup failure is reported, never fatal
        return [], [_error("", "", exc, "other", redact(str(exc)))]
    for account in spec.accounts:
        target = Target(account, "", f"arn:aws:iam::{account}:role/{ROLE_NAME}")
        for region in spec.regions:
            try:
                client = ctx.client(target, region, "codecommit")
                names = [r["repositoryName"] for page in client.get_paginator("list_repositories").paginate()
                         for r in page.get("repositories", [])]
                for name in sorted(names):
                    if name in known:
                        continue
                    meta = client.get_repository(repositoryName=name)["repositoryMetadata"]
                    known.add(name)
                    found.append(RepoEntry(name=name, team=spec.team, url=meta["cloneUrlHttp"]))
            except Exception as exc:  # noqa: BLE001 - partial failure is data
                klass, code = classify(exc)
                errors.append(_error(account, region, exc, klass, message_of(exc, klass), code))
    return found, errors


def _error(account: str, region: str, exc: BaseException, klass: str, message: str,
           code: str | None = None) -> dict[str, Any]:
    return {"source": "scan", "account_id": account, "client": "", "region": region,
            "collector": "codecommit", "operation": "ListRepositories", "error_class": klass,
            "error_code": code or type(exc).__name__, "message": message}
