"""Delivery history: how often each unit, client and team deploys, how often it breaks, how fast it heals.

Deploy events come from pipeline executions (pipeline units), CodeDeploy deployments outside any
pipeline (matched to the unit running on the deployment group's Auto Scaling groups) and CodeBuild
builds outside any pipeline whose project belongs to a unit's stack. Metrics (DORA-style):

    deploys_per_week        finished deploys (succeeded + failed) / weeks of history
    change_failure_rate     failed / finished
    time_to_restore_hours   failed deploy -> next succeeded deploy of the same unit, mean
    lead_time_hours         source revision (commit) time -> succeeded deploy end, mean, where known
    sprint_end_share        succeeded deploys in the team's sprint release window / all succeeded
                            (the window: `audit.sprints`, the same rule as release tags); a team
                            without a calendar: from the deploys' commit messages (survey
                            `release_messages`, else the documented default patterns), else from
                            release tags

Each row says where the figures came from: `lead_time_source` (commit-time | release-tag) and
`release_kind_source` (survey | commit-message | release-tag).

Missing data is null ("unknown"): a unit with no history source, an account whose crawl failed or
whose history collector errored, a team without a sprint calendar. Never a fake zero.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from audit.analysis.frames import Inventory, as_list, conform, objectify, table
from audit.config import Survey
from audit.config.survey import ReleaseMessages
from audit.sprints import is_sprint_end

OK, FAILED = "Succeeded", "Failed"
HISTORY_COLLECTORS = ("codepipeline", "codedeploy", "codebuild")
_EVENT_COLS = ["unit_id", "account_id", "client", "team", "time", "ok", "revision_time", "deploy"]
# the commit message of a pipeline execution's source revision (ListPipelineExecutions
# sourceRevisions[].revisionSummary), when the crawl recorded it
MESSAGE_COLUMN = "source_revision_summary"


def _history_errors(inv: Inventory) -> set[str]:
    """Accounts whose history cannot be trusted: crawl failed, or a history collector errored there."""
    acc = table(inv, "accounts")
    bad = set(acc.loc[acc["status"] == "failed", "account_id"])
    err = table(inv, "errors")
    hit = err[err["collector"].fillna("").str.lower().str.startswith(HISTORY_COLLECTORS)]
    return bad | set(hit["account_id"].dropna())


def deploy_events(inv: Inventory, units: pd.DataFrame) -> pd.DataFrame:
    """Every finished deploy: unit_id (may be null), account, client, team, time, ok, revision_time, deploy.

    `deploy` is False for CodeDeploy rollbacks: they restore a unit (time to restore) but are not deploys.
    A pipeline execution without a source revision time takes the time of the release tag on that commit
    (repo_activity), when there is one.
    """
    acc = table(inv, "accounts")
    single_team = {a: as_list(t)[0] for a, t in zip(acc["account_id"], acc["teams"], strict=True)
                   if len(as_list(t)) == 1}
    parts = []
    pipes = units.loc[units["kind"] == "pipeline", ["unit_id", "account_id", "region", "pipeline_name", "team"]]
    ex = table(inv, "pipeline_executions", strings=False)
    ex = ex[ex["status"].isin([OK, FAILED])]
    if len(ex):
        m = ex.merge(pipes, on=["account_id", "region", "pipeline_name"], how="left")
        tags = table(inv, "repo_activity", strings=False)
        revision = pd.to_datetime(m["source_revision_time"], utc=True)
        revision_source = pd.Series(np.where(revision.notna(), "commit-time", None), index=m.index, dtype=object)
        if len(tags) and revision.isna().any():
            tag_time = tags.groupby("commit")["tagged_at"].min().to_dict()
            from_tags = pd.to_datetime(pd.Series([tag_time.get(c) for c in m["source_revision"].tolist()],
                                                 index=m.index, dtype=object), utc=True)
            revision_source = revision_source.where(revision.notna() | from_tags.isna(), "release-tag")
            revision = revision.fillna(from_tags)
        message = m[MESSAGE_COLUMN] if MESSAGE_COLUMN in m.columns else pd.Series(None, index=m.index, dtype=object)
        parts.append(pd.DataFrame({
            "unit_id": m["unit_id"], "account_id": m["account_id"], "client": m["client"], "team": m["team"],
            "time": m["end_time"].fillna(m["start_time"]), "ok": m["status"] == OK,
            "revision_time": revision, "deploy": True, "revision_source": revision_source,
            "message": message.astype(object)}))
    in_pipeline_groups, in_pipeline_projects = {}, set()
    pipe_unit = {(a, n): (u, t) for u, a, n, t in zip(pipes["unit_id"], pipes["account_id"], pipes["pipeline_name"],
                                                       pipes["team"], strict=True)}
    for p in table(inv, "pipelines").itertuples(index=False):
        for t in as_list(p.codedeploy_targets):
            in_pipeline_groups[(p.account_id, str(t))] = pipe_unit.get((p.account_id, p.name))
        in_pipeline_projects |= {(p.account_id, str(t)) for t in as_list(p.codebuild_projects)}
    by_name = {(a, n): (u, t) for u, a, n, t in
               zip(units["unit_id"], units["account_id"], units["name"], units["team"], strict=True)}
    by_stack = {(a, s): (u, t) for u, a, s, t in
                zip(units["unit_id"], units["account_id"], units["stack_name"], units["team"], strict=True) if s}
    dep = table(inv, "codedeploy_deployments")
    rollback = dep["rollback"] == True  # noqa: E712
    dep = dep[(dep["status"].isin([OK, FAILED]) & ~rollback) | ((dep["status"] == OK) & rollback)]
    if len(dep):
        groups = table(inv, "codedeploy_groups")
        asgs = {(g.account_id, g.application_name, g.name): as_list(g.autoscaling_groups)
                for g in groups.itertuples(index=False)}
        rows = []
        for d in dep.itertuples(index=False):
            is_rollback = d.rollback is True
            key = (d.account_id, f"{d.application_name}/{d.group_name}")
            if key in in_pipeline_groups:
                if not is_rollback or in_pipeline_groups[key] is None:
                    continue  # the pipeline execution is the deploy; its rollback restores the pipeline unit
                hits = [in_pipeline_groups[key]]
            else:
                hits = [by_name[(d.account_id, a)] for a in
                        asgs.get((d.account_id, d.application_name, d.group_name), []) if (d.account_id, a) in by_name]
            unit, team = hits[0] if hits else (None, single_team.get(d.account_id))
            if is_rollback and unit is None:
                continue
            rows.append((unit, d.account_id, d.client, team, d.complete_time if pd.notna(d.complete_time)
                         else d.create_time, d.status == OK, pd.NaT, not is_rollback))
        parts.append(pd.DataFrame(rows, columns=_EVENT_COLS))
    builds = table(inv, "codebuild_builds")
    builds = builds[builds["status"].isin(["SUCCEEDED", "FAILED"])]
    if len(builds):
        projects = table(inv, "codebuild_projects")
        owner = {(a, n): s for a, n, s in zip(projects["account_id"], projects["name"], projects["managed_by"],
                                                strict=True) if s}
        rows = []
        for b in builds.itertuples(index=False):
            if (b.account_id, b.project_name) in in_pipeline_projects:
                continue
            hit = by_stack.get((b.account_id, owner.get((b.account_id, b.project_name)))) \
                or by_name.get((b.account_id, b.project_name))
            if hit:
                rows.append((hit[0], b.account_id, b.client, hit[1], b.end_time if pd.notna(b.end_time)
                             else b.start_time, b.status == "SUCCEEDED", pd.NaT, True))
        if rows:
            parts.append(pd.DataFrame(rows, columns=_EVENT_COLS))
    if not parts:
        parts.append(pd.DataFrame({"unit_id": pd.Series(dtype=object), "account_id": pd.Series(dtype=object),
                                   "client": pd.Series(dtype=object), "team": pd.Series(dtype=object),
                                   "time": pd.Series(dtype="datetime64[us, UTC]"), "ok": pd.Series(dtype=bool),
                                   "revision_time": pd.Series(dtype="datetime64[us, UTC]"),
                                   "deploy": pd.Series(dtype=bool)}))
    ev = objectify(pd.concat(parts, ignore_index=True))
    ev["time"] = pd.to_datetime(ev["time"], utc=True)
    ev["revision_time"] = pd.to_datetime(ev["revision_time"], utc=True)
    ev["team"] = ev["team"].where(ev["team"].notna(), ev["account_id"].map(single_team))
    ev["deploy"] = ev["deploy"].astype(bool)
    for col in ("revision_source", "message"):
        ev[col] = ev[col].astype(object).where(ev[col].notna(), None) if col in ev.columns else None
    return ev.dropna(subset=["time"]).sort_values(["unit_id", "time"], kind="stable", ignore_index=True)


def sprint_end_flags(times: pd.Series, teams: pd.Series, surveys: Mapping[str, Survey]) -> pd.Series:
    """True if a deploy falls in its team's sprint release window (`audit.sprints`), False if off-cycle,
    NA if the team has no calendar."""
    out = pd.Series(pd.NA, index=times.index, dtype="boolean")
    days = times.dt.tz_convert("UTC").dt.date
    for team, survey in surveys.items():
        if survey.sprint is None:
            continue
        mask = (teams == team).to_numpy()
        if mask.any():
            out[mask] = [is_sprint_end(day, survey.sprint) for day in days[mask]]
    return out


def message_kind(message: object, patterns: ReleaseMessages) -> str | None:
    """hotfix | sprint-end from a commit message's first line (hotfix wins), else None."""
    if not isinstance(message, str) or not message.strip():
        return None
    first = message.strip().splitlines()[0]
    if any(re.search(p, first, re.IGNORECASE) for p in patterns.hotfix):
        return "hotfix"
    if any(re.search(p, first, re.IGNORECASE) for p in patterns.sprint_end):
        return "sprint-end"
    return None


def message_flags(messages: pd.Series, teams: pd.Series, surveys: Mapping[str, Survey]) -> pd.Series:
    """True (sprint-end) / False (hotfix) from commit messages, NA where the message says neither."""
    default = ReleaseMessages()
    kinds = [message_kind(m, surveys[t].release_messages if t in surveys else default)
             for m, t in zip(messages.tolist(), teams.tolist(), strict=True)]
    return pd.Series([pd.NA if k is None else k == "sprint-end" for k in kinds], index=messages.index,
                     dtype="boolean")


def _has_calendar(team: object, surveys: Mapping[str, Survey]) -> bool:
    return isinstance(team, str) and team in surveys and surveys[team].sprint is not None


def _sources(values: pd.Series) -> str | None:
    found = sorted({v for v in values if isinstance(v, str)})
    return "+".join(found) or None


def _restore_hours(ev: pd.DataFrame) -> pd.Series:
    """Per failed event with a unit: hours until that unit's next succeeded deploy or rollback (NaN if never)."""
    ok_time = ev["time"].where(ev["ok"])
    nxt = ok_time.groupby(ev["unit_id"]).bfill()
    hours = (nxt - ev["time"]).dt.total_seconds() / 3600
    return hours.where(~ev["ok"].astype(bool) & ev["unit_id"].notna())


def _aggregate(ev: pd.DataFrame, keys: list[str], weeks: float) -> pd.DataFrame:
    g = ev.groupby(keys, dropna=False)
    out = pd.DataFrame({
        "deploys": g.size(), "failures": g["failed"].sum(), "time_to_restore_hours": g["restore_h"].mean(),
        "lead_time_hours": g["lead_h"].mean(), "sprint_end_releases": g["se"].sum(min_count=1),
        "hotfix_releases": g["hf"].sum(min_count=1),
        "lead_time_source": g["lead_src"].agg(_sources), "release_kind_source": g["rk_src"].agg(_sources)})
    out["deploys_per_week"] = out["deploys"] / weeks
    out["change_failure_rate"] = out["failures"] / out["deploys"].where(out["deploys"] > 0)
    known = out["sprint_end_releases"].notna()
    total = out["sprint_end_releases"] + out["hotfix_releases"]
    out["sprint_end_share"] = (out["sprint_end_releases"] / total.where(total > 0)).where(known)
    return out.reset_index()


def period_figures(ev: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float]:
    """Deploys per week, change failure rate and mean time to restore of the events between `start` and
    `end` (the `delivery` table's rules), with the weeks they cover; NaN where there is nothing to measure."""
    weeks = max((end - start).total_seconds(), 0.0) / (7 * 86400)
    deploys = (ev["time"] >= start) & (ev["time"] < end) & ev["deploy"].astype(bool)
    n, failed = int(deploys.sum()), int((deploys & ~ev["ok"].astype(bool)).sum())
    return {"weeks": weeks, "deploys_per_week": n / weeks if weeks > 0 else np.nan,
            "change_failure_rate": failed / n if n else np.nan,
            "time_to_restore_hours": float(_restore_hours(ev)[deploys].mean()) if failed else np.nan}


def delivery(inv: Inventory, units: pd.DataFrame, surveys: Mapping[str, Survey] | None = None, *,
             window_days: float | None = None, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The `delivery` table: level unit | client | team (see module docstring for the rules)."""
    surveys = surveys or {}
    ev = deploy_events(inv, units) if events is None else events
    untrusted = _history_errors(inv)
    ev = ev[~ev["account_id"].isin(untrusted)].copy()
    if window_days is None:
        window_days = float((ev["time"].max() - ev["time"].min()).days + 1) if len(ev) else 7.0
    weeks = max(window_days / 7.0, 1.0)
    ev["failed"] = ~ev["ok"].astype(bool)
    ev["restore_h"] = _restore_hours(ev)
    ev = ev[ev["deploy"]].copy()  # rollbacks only restore
    lead = (ev["time"] - ev["revision_time"]).dt.total_seconds() / 3600
    ev["lead_h"] = lead.where(ev["ok"].astype(bool) & (lead >= 0))
    ev["lead_src"] = ev["revision_source"].where(ev["lead_h"].notna(), None)
    ok = ev["ok"].astype(bool)
    flags = sprint_end_flags(ev["time"], ev["team"], surveys).where(ok)
    ev["rk_src"] = pd.Series(np.where(flags.notna().to_numpy(), "survey", None), index=ev.index, dtype=object)
    no_calendar = ok & ~ev["team"].map(lambda t: _has_calendar(t, surveys)).astype(bool)
    if no_calendar.any():
        said = message_flags(ev.loc[no_calendar, "message"], ev.loc[no_calendar, "team"], surveys)
        flags = flags.copy()
        flags[no_calendar] = said
        ev.loc[said.index[said.notna().to_numpy()], "rk_src"] = "commit-message"
    ev["se"] = flags.astype("Float64")
    ev["hf"] = (1 - flags.astype("Float64"))
    frames = []
    # units with a history source in a trusted account: their zero is a real zero
    has_history = units["kind"].eq("pipeline") | units["unit_id"].isin(ev["unit_id"].dropna())
    trusted = has_history & ~units["account_id"].isin(untrusted)
    known_units = units[trusted]
    u = units[["unit_id", "team", "client"]].rename(columns={"unit_id": "key"}).merge(
        _aggregate(ev[ev["unit_id"].notna()], ["unit_id"], weeks).rename(columns={"unit_id": "key"}),
        on="key", how="left")
    frames.append(_zero_fill(u, surveys, pd.Series(trusted.to_numpy(), index=u.index)).assign(level="unit"))
    c = _aggregate(ev, ["client"], weeks)
    known = set(known_units["client"].dropna()) | set(c["client"].dropna())
    accounts = table(inv, "accounts")
    everyone = set(units["client"].dropna()) | set(accounts["client"].dropna()) | known
    c = pd.DataFrame({"client": pd.Series(sorted(everyone), dtype=object)}).merge(c, on="client", how="left")
    teams_of = units.groupby("client")["team"].agg(lambda s: ",".join(sorted(set(s.dropna()))) or None)
    # a client with no units (its crawl failed) still has the teams accounts.yaml gives it
    configured = {client: ",".join(sorted(as_list(teams))) or None
                  for client, teams in zip(accounts["client"], accounts["teams"], strict=True)}
    c["team"] = c["client"].map(teams_of).fillna(c["client"].map(configured))
    frames.append(_zero_fill(c, surveys, c["client"].isin(known))
                  .assign(level="client", key=c["client"]))
    t = _aggregate(ev[ev["team"].notna()], ["team"], weeks)
    known = set(known_units["team"].dropna()) | set(t["team"])
    everyone = set(units["team"].dropna()) | set(surveys) | known
    t = pd.DataFrame({"team": pd.Series(sorted(everyone), dtype=object)}).merge(t, on="team", how="left")
    t = _tag_releases(inv, _zero_fill(t, surveys, t["team"].isin(known)), surveys)
    frames.append(t.assign(level="team", key=t["team"], client=None))
    out = pd.concat(frames, ignore_index=True)
    return conform("delivery", out)


def _zero_fill(frame: pd.DataFrame, surveys: Mapping[str, Survey], known: pd.Series,
               calendar: bool = True) -> pd.DataFrame:
    """Known rows without events get real zeros (sprint counts only where a calendar exists)."""
    frame = frame.copy()
    for col, zero in (("deploys", 0), ("failures", 0), ("deploys_per_week", 0.0)):
        frame[col] = frame[col].where(frame[col].notna() | ~known, zero)
    if calendar:
        has_cal = frame["team"].map(lambda t: _has_calendar(t, surveys)).astype(bool) & known
        for col in ("sprint_end_releases", "hotfix_releases"):
            frame[col] = frame[col].where(frame[col].notna() | ~has_cal, 0)
        frame["release_kind_source"] = frame["release_kind_source"].where(
            frame["release_kind_source"].notna() | ~has_cal, "survey")
    return frame


def _tag_releases(inv: Inventory, teams: pd.DataFrame, surveys: Mapping[str, Survey]) -> pd.DataFrame:
    """Teams without a sprint calendar or commit messages that say it: sprint-end vs hotfix counts
    from release tags, when tagged."""
    tags = table(inv, "repo_activity")
    tags = tags[tags["release_kind"].isin(["sprint-end", "hotfix"]) & tags["team"].notna()]
    if tags.empty:
        return teams
    counts = tags.groupby(["team", "release_kind"]).size().unstack(fill_value=0)
    teams = teams.copy()
    for i, team in teams["team"].items():
        if _has_calendar(team, surveys) or team not in counts.index or \
                teams.loc[i, "release_kind_source"] == "commit-message":
            continue
        se = int(counts.loc[team].get("sprint-end", 0))
        hf = int(counts.loc[team].get("hotfix", 0))
        teams.loc[i, ["sprint_end_releases", "hotfix_releases"]] = [se, hf]
        teams.loc[i, "sprint_end_share"] = se / (se + hf) if se + hf else np.nan
        teams.loc[i, "release_kind_source"] = "release-tag"
    return teams
