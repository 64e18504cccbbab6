"""The config files a fleet writes beside itself: accounts.yaml, repos.yaml, survey/<team>.yaml.

They are the same files a user writes for real accounts (validated by `cicd-audit validate`), only
pointing at the fleet's endpoint and generated repositories.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from audit.demo.model import ALL_REPOS, AUDIT_ROLE, REPO_TEAM, FleetModel

# Each team's sprint calendar: fixed anchors (a Monday), two-week sprints, release on the weekday
# of the sprint's second week. history.py releases on exactly these days.
SPRINTS: dict[str, dict[str, Any]] = {
    "web": {"length_days": 14, "anchor": date(2026, 1, 5), "release_weekday": "thu"},
    "data": {"length_days": 14, "anchor": date(2026, 1, 12), "release_weekday": "wed"},
    "java": {"length_days": 14, "anchor": date(2026, 1, 5), "release_weekday": "tue"},
    "ops": {"length_days": 14, "anchor": date(2026, 1, 12), "release_weekday": "fri"},
}

_SURVEYS: dict[str, dict[str, Any]] = {
    "web": {"lead": "Dana (web lead)", "hotfixes_per_month": 2, "deploys_per_sprint": 1.5,
            "manual_steps": [
                {"name": "bump image tag in the task definition", "minutes": 10},
                {"name": "watch the ECS rollout and smoke-test", "minutes": 20},
                {"name": "copy env vars to the new client account", "minutes": 90, "per": "onboarding"}],
            "pain_points": ["Hotfixes wait for the sprint train or are done by hand in the console.",
                            "Every client has a slightly different buildspec."]},
    "data": {"lead": "Priya (data lead)", "hotfixes_per_month": 1, "deploys_per_sprint": 1.2,
             "manual_steps": [
                 {"name": "review the SAM change set", "minutes": 15},
                 {"name": "create the pipeline for a new client by hand", "minutes": 240, "per": "onboarding"}],
             "pain_points": ["CodeCommit mirrors drift from GitHub."]},
    "java": {"lead": "Marek (java lead)", "hotfixes_per_month": 1.5, "deploys_per_sprint": 1,
             "manual_steps": [
                 {"name": "upload the release zip to the client's S3 bucket", "minutes": 15},
                 {"name": "watch CodeDeploy / Beanstalk health and roll back by hand", "minutes": 30},
                 {"name": "release notes and change ticket", "minutes": 20, "per": "release"}],
             "pain_points": ["Two deployment styles (Beanstalk, CodeDeploy) for the same kind of app."]},
    "ops": {"lead": "Sam (ops lead)", "hotfixes_per_month": 0.5, "deploys_per_sprint": 1,
            "manual_steps": [
                {"name": "sync the site to S3 and invalidate CloudFront", "minutes": 15},
                {"name": "rotate the deploy-bot access keys", "minutes": 30, "per": "sprint"},
                {"name": "set up the account baseline by hand", "minutes": 480, "per": "onboarding"}],
            "pain_points": ["Long-lived access keys in CI secrets.", "Nothing of ours is in IaC."]},
}


def _dump(path: Path, data: dict[str, Any], header: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"# {header}\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110))
    tmp.replace(path)
    return path


def write_accounts(out: Path, model: FleetModel, endpoint_url: str) -> Path:
    clients = [{"name": c.name, "account_id": c.account_id, "teams": list(c.teams), "tags": dict(c.tags)}
               for c in model.clients]
    data = {"endpoint_url": endpoint_url,
            "defaults": {"role_name": AUDIT_ROLE, "external_id": "consultancy-audit",
                         "regions": list(model.regions), "session_name": "cicd-audit",
                         "max_workers": 16, "history_days": 90},
            "clients": clients}
    return _dump(out / "accounts.yaml", data, f"Demo fleet (seed {model.seed}) served by moto at {endpoint_url}")


def write_repos(out: Path, model: FleetModel) -> Path:
    used = model.repo_clients()
    repos = [{"name": r, "team": REPO_TEAM[r], "path": f"repos/{r}", "branch": "main", "clients": used[r]}
             for r in ALL_REPOS]
    data = {"cache_dir": ".cache/repos", "workers": 4, "repositories": repos,
            "discover": {"from_pipelines": True}}
    return _dump(out / "repos.yaml", data, "Demo fleet team repositories (paths relative to this file)")


def write_surveys(out: Path) -> Path:
    directory = out / "survey"
    for team, answers in _SURVEYS.items():
        sprint = dict(SPRINTS[team])
        sprint["anchor"] = sprint["anchor"].isoformat()
        data = {"team": team, "lead": answers["lead"], "sprint": sprint,
                "manual_steps": answers["manual_steps"], "hotfixes_per_month": answers["hotfixes_per_month"],
                "deploys_per_sprint": answers["deploys_per_sprint"], "pain_points": answers["pain_points"]}
        _dump(directory / f"{team}.yaml", data, f"The {team} team lead's answers (demo fleet)")
    return directory


def copy_catalog(out: Path) -> Path | None:
    """Copy the project's inventory/catalog.yaml beside the fleet configs, when there is one."""
    for candidate in (Path.cwd() / "inventory" / "catalog.yaml",
                      Path(__file__).resolve().parents[3] / "inventory" / "catalog.yaml"):
        if candidate.is_file():
            return Path(shutil.copyfile(candidate, out / "catalog.yaml"))
    return None
