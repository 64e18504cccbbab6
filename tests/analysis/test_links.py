"""analysis.links: pipeline sources matched to scanned repositories, from the snapshot's raw tables."""

from __future__ import annotations

import pandas as pd

from audit.analysis.links import link_pipelines, link_repos


def _pipeline(name, provider, repo, client="acme", account="111111111111"):
    return {"account_id": account, "client": client, "region": "eu-west-1", "name": name,
            "arn": f"arn:aws:codepipeline:eu-west-1:{account}:{name}", "source_provider": provider,
            "source_repository": repo, "source_branch": "main"}


def test_link_matches_url_tail_and_org_repo():
    links, unmatched = link_pipelines([_pipeline("p", "GitHub", "Consultancy/Storefront-Web"),
                                       _pipeline("q", "CodeStarSourceConnection", "other/thing"),
                                       _pipeline("r", "S3", "bucket/web.zip")],
                                      [("web", "git@github.com:consultancy/storefront-web.git")])
    assert list(links) == ["web"] and [u["pipeline_name"] for u in unmatched] == ["q"]


def test_linked_clients_add_to_repos_yaml_and_can_be_switched_off():
    inv = {"repos": pd.DataFrame([{"repo": "web", "team": "web", "url": "https://h/org/web.git", "clients": ["a"]}]),
           "pipelines": pd.DataFrame([_pipeline("p", "CodeStarSourceConnection", "org/web", client="b")])}
    linked, unmatched = link_repos(inv)
    assert [list(c) for c in linked["clients"]] == [["a", "b"]] and unmatched.empty
    assert [list(p) for p in linked["pipeline_links"]] == [["arn:aws:codepipeline:eu-west-1:111111111111:p"]]
    off, unmatched = link_repos(inv, enabled=False)  # repos.yaml discover.from_pipelines: false
    assert [list(c) for c in off["clients"]] == [["a"]] and [list(p) for p in off["pipeline_links"]] == [[]]
    assert unmatched.empty
