"""The generated team repositories: real git history, backdated, tagged, with the stack's files."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from audit.demo.repo_files import TRAITS
from audit.store.schema import TRAIT_FAMILIES as FAMILIES

VOCABULARY = {
    "languages": "python javascript typescript java kotlin go csharp ruby php rust scala",
    "build_tools": "npm yarn pnpm pip poetry pipenv uv maven gradle go-modules dotnet bundler composer cargo sbt make",
    "ci_systems": "github-actions gitlab-ci jenkins codebuild codepipeline bitbucket-pipelines circleci travis "
                  "azure-pipelines drone buildkite",
    "iac_tools": "cloudformation sam cdk terraform serverless-framework pulumi helm kustomize kubernetes-manifests "
                 "ansible copilot amplify",
    "packaging": "docker docker-compose zip-artifact",
    "deploy_targets": "ecs eks lambda elastic-beanstalk ec2 s3-static codedeploy kubernetes app-runner "
                      "amplify-hosting api-gateway lightsail heroku other",
}


def _git(path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True).stdout


def test_repos_have_backdated_commits_and_release_tags(fleet):
    now = datetime.now(UTC)
    assert set(fleet.repo_traits_expected) == set(fleet.model.repos)
    for repo in fleet.model.repos:
        path = fleet.out / "repos" / repo
        dates = [datetime.fromtimestamp(int(t), UTC) for t in _git(path, "log", "--format=%ct").split()]
        assert len(dates) >= 15
        assert min(dates) < now - timedelta(weeks=12) and max(dates) <= now
        assert max(dates) > now - timedelta(weeks=3)
        tags = dict(line.split(" ", 1) for line in
                    _git(path, "for-each-ref", "refs/tags", "--format=%(refname:short) %(taggerdate:unix)").splitlines())
        plan = fleet.releases[repo]
        assert set(tags) == {r.tag for r in plan.releases}
        assert any(t.endswith(".0") for t in tags) and any(t.endswith(".1") for t in tags) or repo == "static-site"
        for r in plan.releases:
            assert int(tags[r.tag]) == int(r.released_at.timestamp())
            assert _git(path, "rev-parse", f"{r.tag}^{{commit}}").strip() == plan.shas[r.tag]
        assert _git(path, "status", "--porcelain") == ""  # the working tree is checked out clean


def test_repos_hold_each_teams_stack(fleet):
    root = fleet.out / "repos"
    assert (root / "storefront-web" / "Dockerfile").is_file()
    assert (root / "storefront-web" / ".github" / "workflows" / "ci.yml").is_file()
    assert "Transform: AWS::Serverless-2016-10-31" in (root / "ingest-service" / "template.yaml").read_text()
    assert (root / "billing-api" / ".ebextensions").is_dir() and (root / "billing-api" / "pom.xml").is_file()
    assert "hooks:" in (root / "claims-service" / "appspec.yml").read_text()
    assert (root / "booking-portal" / "appspec.yaml").is_file()
    assert (root / "static-site" / "index.html").is_file()


def test_expected_traits_use_the_corpus_vocabulary_in_its_order():
    for repo, traits in TRAITS.items():
        assert tuple(traits) == FAMILIES, repo
        for family, values in traits.items():
            vocab = VOCABULARY[family].split()
            assert all(v in vocab for v in values), (repo, family, values)
            assert values == sorted(values, key=vocab.index), (repo, family)
