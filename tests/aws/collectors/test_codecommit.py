"""CodeCommit repositories: listed through the crawler's sessions, with the clone URLs `scan` uses.

moto implements CreateRepository and GetRepository but not ListRepositories: a plain moto account
answers NotImplementedError, which must be an `errors` row (not-implemented), never "no
repositories". The demo fleet marks its repositories and moto_patches answers ListRepositories and
ListTagsForResource for them the way AWS documents it
(https://docs.aws.amazon.com/codecommit/latest/APIReference/API_ListRepositories.html).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from audit.aws.collectors.base import Ctx, transform_spec
from audit.aws.collectors.codecommit import COLLECTOR, REPOSITORIES, columns
from audit.demo import moto_patches
from audit.demo.backend_fixes import codecommit_repository


def test_plain_moto_without_list_repositories_is_an_error_row_not_an_empty_table(account) -> None:
    account.boto("codecommit").create_repository(repositoryName="orders")
    rows, errors = account.collect("codecommit")
    assert rows.get("codecommit_repositories", []) == []
    assert [(e["operation"], e["error_class"]) for e in errors] == [("ListRepositories", "not-implemented")]


def test_repositories_with_clone_urls_and_tags(account) -> None:
    moto_patches.install()
    cc = account.boto("codecommit")
    for name in ("orders", "billing"):
        cc.create_repository(repositoryName=name, repositoryDescription="free text, not kept")
        codecommit_repository(account.account_id, "eu-west-1", name, {"team": "data"})
    rows, errors = account.collect("codecommit")
    assert errors == []
    got = sorted(rows["codecommit_repositories"], key=lambda r: r["name"])
    assert [r["name"] for r in got] == ["billing", "orders"]
    r = got[1]
    assert r["arn"] == f"arn:aws:codecommit:eu-west-1:{account.account_id}:orders"
    assert r["clone_url_http"] == "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/orders"
    assert r["clone_url_ssh"] == "ssh://git-codecommit.eu-west-1.amazonaws.com/v1/repos/orders"
    assert json.loads(r["tags"]) == {"team": "data"} and r["repository_id"]
    assert "free text" not in json.dumps(got, default=str)
    assert set(COLLECTOR.operations) == {("codecommit", "ListRepositories"), ("codecommit", "BatchGetRepositories"),
                                         ("codecommit", "ListTagsForResource")}


def test_transform_of_the_documented_get_repository_shape() -> None:
    """BatchGetRepositories' repositories[] (RepositoryMetadata) as AWS documents it (API_RepositoryMetadata.html), incl. a
    default branch, which moto never sets."""
    raw = {"accountId": "111122223333", "repositoryId": "f7579e13-b83e-4027-aaef-650c0EXAMPLE",
           "repositoryName": "MyDemoRepo", "repositoryDescription": "My demonstration repository",
           "defaultBranch": "main", "lastModifiedDate": datetime(2026, 1, 2, tzinfo=UTC),
           "creationDate": datetime(2025, 1, 2, tzinfo=UTC),
           "cloneUrlHttp": "https://git-codecommit.us-east-2.amazonaws.com/v1/repos/MyDemoRepo",
           "cloneUrlSsh": "ssh://git-codecommit.us-east-2.amazonaws.com/v1/repos/MyDemoRepo",
           "Arn": "arn:aws:codecommit:us-east-2:111122223333:MyDemoRepo", "__tags": {"team": "data"}}
    assert columns(raw)["default_branch"] == "main"
    ctx = Ctx("111122223333", "acme", "us-east-2", "codecommit", lambda s: None, datetime.now(UTC))
    (row,) = transform_spec(REPOSITORIES, [raw], ctx)
    assert (row["name"], row["arn"], row["managed_by"]) == ("MyDemoRepo", raw["Arn"], None)
    assert row["clone_url_http"] == raw["cloneUrlHttp"] and json.loads(row["tags"]) == {"team": "data"}
