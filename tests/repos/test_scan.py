"""scan_repos into a snapshot (merged with the day's crawl, which it leaves raw), the CLI commands."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from audit.analysis.frames import load_inventory
from audit.analysis.links import link_repos
from audit.cli import cli
from audit.config import RepoEntry, ReposConfig, SprintCalendar, Survey
from audit.options import ScanOptions
from audit.repos import scan as scan_mod
from audit.repos.scan import scan_repos
from audit.store.snapshots import open_duckdb, open_snapshot, write_snapshot

from .conftest import make_repo, run_git

DAY = "2026-03-02"
CALENDAR = SprintCalendar(length_days=14, anchor=date(2026, 1, 5))  # sprints end Jan 18, Feb 1, ...


def _pipeline(name, provider, repo, account="111111111111"):
    return {"account_id": account, "client": "acme", "region": "eu-west-1", "name": name,
            "arn": f"arn:aws:codepipeline:eu-west-1:{account}:{name}", "source_provider": provider,
            "source_repository": repo, "source_branch": "main"}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scan")
    web = make_repo(tmp / "src" / "storefront-web", {
        "package.json": "{}", "package-lock.json": "{}", "src/a.ts": "", "src/b.ts": "",
        "Dockerfile": "FROM node\n", ".github/workflows/deploy.yml":
        "steps:\n  - uses: aws-actions/amazon-ecs-deploy-task-definition@v1\n"},
        tags={"v1.0.0": "2026-01-17T10:00:00+00:00", "hotfix-1": "2026-01-22T10:00:00+00:00"})
    run_git(web, "tag", "-a", "v1.1.0", "-m", "x", env={"GIT_COMMITTER_DATE": "2026-01-27T10:00:00+00:00"})
    make_repo(tmp / "billing-api", {"pom.xml": "<project/>", "src/main/java/A.java": "", "appspec.yml":
                                    "version: 0.0\nos: linux\n"})
    origin = make_repo(tmp / "src" / "ingest", {"template.yaml": "Transform: AWS::Serverless-2016-10-31\n",
                                                "app.py": "", "requirements.txt": ""})
    run_git(tmp / "src", "clone", "-q", "--bare", str(origin), "ingest-bare.git")
    config = ReposConfig(repositories=[
        RepoEntry(name="storefront-web", team="web", url=f"file://{web}", clients=["acme"]),
        RepoEntry(name="billing-api", team="java", path="billing-api"),
        RepoEntry(name="ingest", team="data", path="src/ingest-bare.git"),
        RepoEntry(name="gone", team="data", url=f"file://{tmp}/nowhere.git"),
    ])
    out = tmp / "inventory"
    write_snapshot(out, DAY, {
        "pipelines": [_pipeline("web-prod", "CodeStarSourceConnection", "consultancy/storefront-web"),
                      _pipeline("ingest", "CodeCommit", "ingest"),
                      _pipeline("legacy", "CodeCommit", "legacy-monolith"),
                      _pipeline("artifact", "S3", "bucket/key.zip")],
        "errors": [{"source": "crawl", "account_id": "111111111111", "error_class": "access-denied"}],
    }, {"started": "x"}, section="crawl")
    surveys = {"web": Survey(team="web", sprint=CALENDAR)}
    result = scan_repos(config, out, ScanOptions(day=DAY, workers=2, base_dir=tmp, progress=False), surveys=surveys)
    return result, tmp


def test_scan_writes_tables_into_the_days_crawl_snapshot(scanned):
    result, _ = scanned
    assert (result.repos_ok, result.repos_failed) == (3, 1)
    snap = open_snapshot(result.snapshot_dir)
    assert {"pipelines", "repos", "repo_traits", "repo_activity"} <= set(snap.tables())
    assert "unmatched_sources" not in snap.tables()  # linking pipelines to repositories is analysis
    assert set(snap.manifest["sections"]) == {"crawl", "scan"}
    assert snap.manifest["sections"]["scan"]["link_pipelines"] is True
    con = open_duckdb(snap)
    errors = con.execute("SELECT source, collector, error_class FROM errors ORDER BY source").fetchall()
    assert ("crawl", None, "access-denied") in errors  # the crawl's errors are kept
    assert ("scan", "gone", "unreachable") in errors
    status = dict(con.execute("SELECT repo, status FROM repos").fetchall())
    assert status == {"storefront-web": "ok", "billing-api": "ok", "ingest": "ok", "gone": "failed"}
    traits = {(r, f, v) for r, f, v in con.execute("SELECT repo, family, value FROM repo_traits").fetchall()}
    assert {("storefront-web", "deploy_targets", "ecs"), ("storefront-web", "packaging", "docker"),
            ("billing-api", "build_tools", "maven"), ("billing-api", "deploy_targets", "ec2"),
            ("ingest", "iac_tools", "sam")} <= traits
    evidence = con.execute("SELECT evidence FROM repo_traits WHERE repo='ingest' AND value='sam'").fetchone()[0]
    assert list(evidence) == ["template.yaml"]


def test_git_signals_and_release_kinds(scanned):
    result, _ = scanned
    con = open_duckdb(open_snapshot(result.snapshot_dir))
    row = con.execute("SELECT default_branch, head_commit, commits_90d, authors_90d, release_tags, "
                      "follows_sprint_calendar, clients FROM repos WHERE repo='storefront-web'").fetchone()
    assert row[0] == "main" and len(row[1]) == 40
    assert row[2] == 1 and row[3] == 1 and row[4] == 3
    assert row[5] is False and list(row[6]) == ["acme"]
    kinds = dict(con.execute("SELECT tag, release_kind FROM repo_activity WHERE repo='storefront-web'").fetchall())
    assert kinds == {"v1.0.0": "sprint-end", "hotfix-1": "hotfix", "v1.1.0": "hotfix"}
    # no survey for team java -> kinds unknown, never guessed
    assert con.execute("SELECT follows_sprint_calendar FROM repos WHERE repo='billing-api'").fetchone()[0] is None


def test_pipeline_sources_are_linked_by_the_analysis_and_unmatched_listed(scanned):
    """The raw repos table keeps repos.yaml's clients; analysis.links adds the pipelines and their clients."""
    result, _ = scanned
    snap = open_snapshot(result.snapshot_dir)
    clients = {r: list(c) for r, c in zip(snap.table("repos")["repo"], snap.table("repos")["clients"], strict=True)}
    assert clients["ingest"] == [] and clients["storefront-web"] == ["acme"]
    linked, unmatched = link_repos(load_inventory(snap))
    links = dict(zip(linked["repo"], linked["pipeline_links"], strict=True))
    assert list(links["storefront-web"]) == ["arn:aws:codepipeline:eu-west-1:111111111111:web-prod"]
    assert list(links["ingest"]) == ["arn:aws:codepipeline:eu-west-1:111111111111:ingest"]
    clients = dict(zip(linked["repo"], linked["clients"], strict=True))
    assert list(clients["ingest"]) == ["acme"]  # learnt from the pipeline that builds it
    assert list(clients["billing-api"]) == []
    assert list(zip(unmatched["pipeline_name"], unmatched["source_repository"], strict=True)) == [
        ("legacy", "legacy-monolith")]


def test_warm_scan_reuses_cached_detection(scanned, monkeypatch):
    _, tmp = scanned
    config = ReposConfig(repositories=[RepoEntry(name="w", team="web", url=f"file://{tmp}/src/storefront-web")])
    first = scan_repos(config, tmp / "inv2", ScanOptions(day=DAY, base_dir=tmp, progress=False))
    calls = []
    monkeypatch.setattr(scan_mod.D, "detect", lambda *a, **k: calls.append(a) or pytest.fail("re-detected"))
    second = scan_repos(config, tmp / "inv2", ScanOptions(day=DAY, base_dir=tmp, progress=False))
    assert first.repos_ok == second.repos_ok == 1 and not calls
    traits = open_snapshot(second.snapshot_dir).table("repo_traits")
    assert "ecs" in set(traits["value"])


def test_codecommit_repositories_come_from_the_crawl_listing(tmp_path):
    """The crawl's `codecommit` collector listed them (its sessions, role and guard): the scan only reads that
    table, keeps the accounts and regions repos.yaml asks for, and clones the HTTPS URL."""
    root = make_repo(tmp_path / "r", {"a.py": "", "b.py": ""})
    origin = make_repo(tmp_path / "src" / "orders", {"template.yaml": "Transform: AWS::Serverless-2016-10-31\n"})
    run_git(tmp_path / "src", "clone", "-q", "--bare", str(origin), "orders.git")
    config = ReposConfig.model_validate({
        "repositories": [{"name": "r", "team": "t", "path": str(root)}],
        "discover": {"codecommit": {"accounts": ["123456789012"], "regions": ["eu-west-1"], "team": "data"}}})
    # no crawl has listed CodeCommit yet: one error row says so, and the scan goes on
    early = scan_repos(config, tmp_path / "inv", ScanOptions(day=DAY, progress=False))
    errors = open_snapshot(early.snapshot_dir).table("errors")
    assert early.repos_ok == 1 and list(zip(errors["collector"], errors["error_class"], strict=True)) == [
        ("codecommit", "not-found")]

    def listed(account, region, name):
        return {"account_id": account, "client": "acme", "region": region, "name": name,
                "arn": f"arn:aws:codecommit:{region}:{account}:{name}",
                "clone_url_http": f"file://{tmp_path}/src/orders.git"}

    write_snapshot(tmp_path / "inv", DAY, {"codecommit_repositories": [
        listed("123456789012", "eu-west-1", "orders"), listed("123456789012", "us-east-1", "elsewhere"),
        listed("210987654321", "eu-west-1", "other-account"), listed("123456789012", "eu-west-1", "r")]},
        {"started": "x"}, section="crawl")
    result = scan_repos(config, tmp_path / "inv", ScanOptions(day=DAY, progress=False, base_dir=tmp_path))
    snap = open_snapshot(result.snapshot_dir)
    repos = snap.table("repos")
    assert sorted(zip(repos["repo"], repos["team"], repos["status"], strict=True)) == [
        ("orders", "data", "ok"), ("r", "t", "ok")]
    assert snap.table("errors").empty
    traits = snap.table("repo_traits")
    assert ("orders", "sam") in set(zip(traits["repo"], traits["value"], strict=True))


def test_cli_scan_and_scan_path_json(tmp_path):
    repo = make_repo(tmp_path / "svc", {"go.mod": "", "main.go": "", "Dockerfile": "FROM golang\n",
                                        ".drone.yml": "kind: pipeline\n"})
    (tmp_path / "repos.yaml").write_text("repositories:\n  - {name: svc, team: go, path: svc}\n")
    runner = CliRunner()
    res = runner.invoke(cli, ["scan-path", str(repo), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {"languages", "build_tools", "ci_systems", "iac_tools", "packaging", "deploy_targets",
                         "evidence"}
    assert data["languages"] == ["go"] and data["ci_systems"] == ["drone"]
    assert data["evidence"]["packaging:docker"] == ["Dockerfile"]
    assert all(v == sorted(v) for k, v in data.items() if k != "evidence")
    res = runner.invoke(cli, ["scan-path", str(repo)])
    assert res.exit_code == 0 and "go-modules" in res.stdout
    res = runner.invoke(cli, ["scan", "--repos", str(tmp_path / "repos.yaml"), "--out", str(tmp_path / "inv"),
                              "--date", DAY])
    assert res.exit_code == 0, res.output
    assert open_snapshot(tmp_path / "inv").table("repos")["status"].tolist() == ["ok"]
    (tmp_path / "bad.yaml").write_text("repositories:\n  - {name: svc, team: go}\n")
    proc = subprocess.run([sys.executable, "-m", "audit", "scan", "--repos", str(tmp_path / "bad.yaml"),
                           "--out", str(tmp_path / "inv2")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "bad.yaml:2" in proc.stderr
    assert not (tmp_path / "inv2").exists()


def test_commit_window_is_90_days(tmp_path):
    from audit.repos.activity import commit_signals

    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    root = make_repo(tmp_path / "r", {"a.py": ""}, when=old)
    run_git(root, "commit", "-q", "--allow-empty", "-m", "new", env={"GIT_AUTHOR_EMAIL": "b@example.com"})
    sig = commit_signals(root, "HEAD")
    assert (sig.commits_90d, sig.authors_90d) == (1, 1)


def test_credentials_in_urls_are_never_stored(tmp_path):
    config = ReposConfig(repositories=[
        RepoEntry(name="x", team="t", url="http://deploy:s3cr3t-token@127.0.0.1:9/x.git")])
    result = scan_repos(config, tmp_path / "inv", ScanOptions(day=DAY, progress=False, base_dir=tmp_path))
    snap = open_snapshot(result.snapshot_dir)
    assert snap.table("repos")["url"].tolist() == ["http://127.0.0.1:9/x.git"]
    errors = snap.table("errors")
    assert len(errors) == 1
    for name in snap.tables():  # parquet is compressed: look at the values, not the bytes
        assert "s3cr3t" not in snap.table(name).to_csv(), name


def test_public_url_drops_the_whole_userinfo():
    from audit.urls import strip_credentials_in as public_url

    assert public_url("https://deploy:p@ss@git.example.com/org/x.git") == "https://git.example.com/org/x.git"
    assert public_url("https://git.example.com/org/x.git@v1 and ssh://git@host/y") == \
        "https://git.example.com/org/x.git@v1 and ssh://host/y"
