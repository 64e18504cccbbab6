"""Score the catalog's work items on the inventory: coverage, person-hours saved, effort, WSJF, the pick.

    hits        each item's `applies_to` SQL over the snapshot (+ the `units`/`delivery` views)
    hours/year  person-hours, per covered unit: events/year x minutes saved / 60
                  + events/year x change failure rate x failures avoided x person-hours per incident
                  + hours_per_unit_per_year;
                per item: + hours_per_client_per_year x clients + onboarding minutes x onboardings / 60.
                events/year = history (deploys_per_week x 52, hotfix share for `events: hotfixes`),
                else the team survey (deploys_per_sprint, hotfixes_per_month), else unknown (0, said).
                Person-hours per incident: the team survey, else the catalog's `planning` default.
    delay       calendar hours of broken delivery avoided per year: events x failure rate x failures
                avoided x time to restore (until the next good deploy). Cost of delay, shown beside
                the hours and never added to them: a month of waiting for the release train is not a
                month of anyone's work
    effort      person-days: fixed_days + per_unit_days x units + per_client_days x clients
    wsjf        cost of delay / job size = hours x (1 + (time criticality + risk weight) / 10) / effort
                days (0 for an item that covers nothing)
    pick_key    the one sort key: max(own WSJF, pick_key of every item that needs it), so a
                prerequisite is worth what it unblocks and always sorts before what needs it
    rank        build order: pick_key descending (ties: prerequisites first); the meeting's pick is the
                prefix of the build order that fits the capacity (person-days)
    pick_share  Monte Carlo, effort and hours each x U(0.7, 1.3): share of runs the item is in the pick
(the key, the order and the pick: audit.picklist, shared with the report)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from audit.analysis.catalog import Catalog, Item, rule_of
from audit.analysis.frames import as_list, conform, table, to_table
from audit.config import Survey
from audit.config.catalog import Planning
from audit.picklist import PickPlan
from audit.store.sandbox import RULE_TABLES, Sandbox, check_static

HOURS_PER_DAY = 8.0
HISTORY, SURVEY, DEFAULT, CATALOG = "history", "survey", "default", "catalog"


def match_items(catalog: Catalog, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """(item_id, account_id, unit_id) for every unit each item's rule returns, each rule in the sandbox.

    `frames` holds the snapshot's crawl and scan tables plus `units` and `delivery`; only the tables
    some rule reads are copied into the sandbox. The static checks run again here: `analyze` may be
    given a catalog nobody validated.
    """
    rules = [rule_of(item, catalog) for item in catalog.items]
    needed = set().union(*(check_static(rule) for rule in rules)) & set(RULE_TABLES)
    inputs = {name: to_table(name, table(frames, name, strings=False)) for name in sorted(needed)}
    found = []
    with Sandbox(inputs, seconds=catalog.rule_time_limit_seconds) as sandbox:
        for rule in rules:
            found.append(sandbox.hits(rule).dropna(subset=["unit_id"]).assign(item_id=rule.item_id))
    if not found:
        return pd.DataFrame(columns=["item_id", "account_id", "unit_id"])
    return pd.concat(found, ignore_index=True)[["item_id", "account_id", "unit_id"]]


def _covered(hits: pd.DataFrame, units: pd.DataFrame, accounts: pd.DataFrame,
             resource_teams: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Hits with client and team: from the unit; a hit that is no unit takes its resource's unit's team
    or `team` tag (`resource_teams`), else the account's only team. Only an account-level hit
    (`account/<id>`) concerns every team of the account (`teams`); no other hit does."""
    u = units[["unit_id", "client", "team"]]
    m = hits.merge(u, on="unit_id", how="left")
    if resource_teams:
        m["team"] = m["team"].where(m["team"].notna(), m["unit_id"].map(resource_teams))
    acc = accounts[["account_id", "client", "teams"]].rename(columns={"client": "acc_client"})
    m = m.merge(acc, on="account_id", how="left")
    m["client"] = m["client"].where(m["client"].notna(), m["acc_client"])
    only = m["teams"].map(lambda t: as_list(t)[0] if len(as_list(t)) == 1 else None)
    m["team"] = m["team"].where(m["team"].notna(), only)
    whole_account = m["unit_id"].map(lambda v: isinstance(v, str) and v.startswith("account/"))
    m["teams"] = [as_list(t) if w else [] for t, w in zip(m["teams"], whole_account, strict=True)]
    m["in_units"] = m["unit_id"].isin(units["unit_id"])
    return m


def _unit_rates(units: pd.DataFrame, delivery: pd.DataFrame, surveys: Mapping[str, Survey]) -> pd.DataFrame:
    """Per unit: deploys/yr, hotfixes/yr, cfr, restore hours from history, with team/fleet fallbacks."""
    d = delivery[delivery["level"] == "unit"].set_index("key")
    r = pd.DataFrame({"unit_id": units["unit_id"], "team": units["team"], "client": units["client"]})
    r = r.set_index("unit_id")
    r["deploys_year"] = d["deploys_per_week"].reindex(r.index) * 52
    dep = d["deploys"].reindex(r.index)
    hf_share = d["hotfix_releases"].reindex(r.index) / dep.where(dep > 0)
    r["hotfixes_year"] = r["deploys_year"] * hf_share.where(d["hotfix_releases"].reindex(r.index).notna())
    team = delivery[delivery["level"] == "team"].set_index("key")
    fleet_cfr = _pooled(delivery, "change_failure_rate")
    fleet_ttr = _pooled(delivery, "time_to_restore_hours")
    r["cfr"] = d["change_failure_rate"].reindex(r.index).fillna(r["team"].map(team["change_failure_rate"]))
    r["cfr"] = r["cfr"].fillna(fleet_cfr)
    r["ttr"] = d["time_to_restore_hours"].reindex(r.index).fillna(r["team"].map(team["time_to_restore_hours"]))
    r["ttr"] = r["ttr"].fillna(fleet_ttr)
    # the columns exist before any masked assignment: pandas cannot add a column through .loc on an
    # empty frame (a snapshot where every account failed has no units)
    r["survey_deploys_year"] = np.nan
    r["survey_hotfixes_year"] = np.nan
    for team_name, s in surveys.items():
        mask = (r["team"] == team_name)
        if s.deploys_per_sprint is not None:
            r.loc[mask, "survey_deploys_year"] = s.deploys_per_sprint * 365 / s.sprint.length_days
        r.loc[mask, "survey_hotfixes_year"] = s.hotfixes_per_month * 12
    return r


def _pooled(delivery: pd.DataFrame, col: str) -> float:
    vals = delivery.loc[delivery["level"] == "unit", col].dropna()
    return float(vals.median()) if len(vals) else np.nan


def _minutes(item: Item, team: str | None, surveys: Mapping[str, Survey]) -> float:
    p = item.payoff
    if p.minutes_saved_per_deploy != "survey":
        return float(p.minutes_saved_per_deploy)
    s = surveys.get(team) if team else None
    if s is None:
        return 0.0
    per = "hotfix" if p.events == "hotfixes" else "deploy"
    minutes = s.manual_minutes(per) or (s.manual_minutes("deploy") if per == "hotfix" else 0.0)
    return minutes * p.survey_share


def _incident_hours(team: str | None, surveys: Mapping[str, Survey], default: float) -> tuple[float, str]:
    """Person-hours one failed deploy costs the unit's team: its survey answer, else the catalog default."""
    s = surveys.get(team) if team else None
    if s is not None and s.person_hours_per_incident is not None:
        return float(s.person_hours_per_incident), SURVEY
    return float(default), DEFAULT


def _sources(counts: Mapping[str, int]) -> str:
    """'history 10, survey 2, unknown 1' (or just 'history' when it is the only one)."""
    kept = {k: v for k, v in counts.items() if v}
    if len(kept) == 1:
        return next(iter(kept))
    return ", ".join(f"{k} {v}" for k, v in kept.items()) or "none"


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def item_hours(item: Item, cov: pd.DataFrame, rates: pd.DataFrame, surveys: Mapping[str, Survey],
               planning: Planning | None = None) -> tuple[float, dict]:
    """Person-hours saved per year for one item, the calendar delay it avoids, and every input with its source.

    Deploy and failure hours need a unit's history (or survey); per-unit hours count every hit.
    """
    planning = planning or Planning()
    p = item.payoff
    n_hits = int(cov[["account_id", "unit_id"]].drop_duplicates().shape[0])
    units = cov[cov["in_units"]].drop_duplicates("unit_id")
    r = rates.reindex(units["unit_id"].values)
    hist_col, survey_col = ("hotfixes_year", "survey_hotfixes_year") if p.events == "hotfixes" \
        else ("deploys_year", "survey_deploys_year")
    if p.deploys_per_year == "history":
        events = r[hist_col]
        from_history = int(events.notna().sum())
        # survey numbers are per team and client: share them among that pair's units
        pair = r.groupby(["team", "client"], dropna=False)[survey_col].transform("size")
        survey_events = r[survey_col] / pair
        events = events.fillna(survey_events)
        from_survey = int(events.notna().sum()) - from_history
        unknown = int(events.isna().sum())
        events = events.fillna(0.0)
        events_src = _sources({HISTORY: from_history, SURVEY: from_survey, "unknown": unknown})
    else:
        events = pd.Series(float(p.deploys_per_year), index=r.index)
        from_history, from_survey, unknown = 0, 0, 0
        events_src = CATALOG
    per_team = {t: _minutes(item, t, surveys) for t in set(r["team"].dropna())}
    minutes = r["team"].map(per_team).fillna(_minutes(item, None, surveys)).to_numpy(dtype=float)
    deploy_h = float((events.to_numpy() * minutes).sum() / 60)
    failed = events * r["cfr"].fillna(0) * p.failures_avoided_rate  # failed deploys avoided per year
    incident = [_incident_hours(t if isinstance(t, str) else None, surveys, planning.person_hours_per_incident)
                for t in r["team"]]
    incident_h = pd.Series([h for h, _ in incident], index=r.index, dtype=float)
    failure_h = float((failed * incident_h).sum())
    restore = r["ttr"] if p.restore_hours == "history" else pd.Series(float(p.restore_hours), index=r.index)
    delay_h = float((failed * restore.fillna(0)).sum())
    clients = cov["client"].dropna().nunique()
    unit_h, client_h = p.hours_per_unit_per_year * n_hits, p.hours_per_client_per_year * clients
    if p.onboarding_minutes == "survey":
        teams = set(cov["team"].dropna())
        vals = [surveys[t].manual_minutes("onboarding") for t in teams if t in surveys]
        onboarding, onboarding_src = (float(np.mean(vals)), SURVEY) if vals else (0.0, "unknown")
    else:
        onboarding, onboarding_src = float(p.onboarding_minutes), CATALOG
    onboarding_h = onboarding * p.onboardings_per_year / 60
    n_events = float(events.sum())
    mean_min = float((events.to_numpy() * minutes).sum() / n_events) if n_events else \
        (float(minutes.mean()) if len(minutes) else 0.0)
    inputs: list[tuple[str, str, str]] = []
    terms: list[tuple[float, str]] = []
    what = "hotfixes" if p.events == "hotfixes" else "deploys"
    uses_events = bool(p.minutes_saved_per_deploy) or p.failures_avoided_rate > 0
    if uses_events and len(r):
        inputs.append((f"{what}/yr", _n(n_events), events_src))
    if p.minutes_saved_per_deploy and len(r):
        minutes_src = (SURVEY + (f" x {p.survey_share:g}" if p.survey_share != 1 else "")) \
            if p.minutes_saved_per_deploy == "survey" else CATALOG
        inputs.append((f"min saved per {'hotfix' if p.events == 'hotfixes' else 'deploy'}", "~" + _n(mean_min),
                       minutes_src))
        terms.append((deploy_h, f"{_n(n_events)} {what} x ~{_n(mean_min)} min / 60"))
    if p.failures_avoided_rate > 0 and len(r):
        cfr = float((events * r["cfr"].fillna(0)).sum() / n_events) if n_events else float(r["cfr"].fillna(0).mean())
        srcs = [src for _, src in incident]
        weights = failed.to_numpy(float)
        mean_inc = float(np.average(incident_h, weights=weights)) if weights.sum() else float(incident_h.mean())
        inputs += [("change failure rate", f"{cfr:.0%}", HISTORY),
                   ("failures avoided", f"{p.failures_avoided_rate:.0%}", CATALOG),
                   ("person-h per incident", _n(mean_inc, 1),
                    _sources({SURVEY: srcs.count(SURVEY), DEFAULT: srcs.count(DEFAULT)})),
                   ("restore time, delay only", _n(float(restore.fillna(0).mean()), 1) + " h",
                    HISTORY if p.restore_hours == "history" else CATALOG)]
        terms.append((failure_h, f"{_n(float(failed.sum()), 1)} failures avoided x {_n(mean_inc, 1)} person-h"))
    if unit_h:
        inputs.append(("h per unit/yr", _n(p.hours_per_unit_per_year, 1), CATALOG))
        terms.append((unit_h, f"{_n(p.hours_per_unit_per_year, 1)} h x {n_hits} units"))
    if client_h:
        inputs.append(("h per client/yr", _n(p.hours_per_client_per_year, 1), CATALOG))
        terms.append((client_h, f"{_n(p.hours_per_client_per_year, 1)} h x {clients} clients"))
    if onboarding_h:
        inputs += [("onboarding min", _n(onboarding), onboarding_src),
                   ("onboardings/yr", _n(p.onboardings_per_year), CATALOG)]
        terms.append((onboarding_h, f"{_n(onboarding)} min x {_n(p.onboardings_per_year)} onboardings / 60"))
    total = deploy_h + failure_h + unit_h + client_h + onboarding_h
    formula = (" + ".join(f"{_n(h)} ({text})" for h, text in terms) + f" = {_n(total)} person-h/yr") if terms \
        else "0 person-h/yr (no hours-saving input)"
    parts = {"deploy_h": deploy_h, "failure_h": failure_h, "fixed_h": unit_h + client_h, "onboarding_h": onboarding_h,
             "delay_h": delay_h, "events": n_events, "from_history": from_history, "from_survey": from_survey,
             "unknown": unknown, "minutes": mean_min, "hotfixes": p.events == "hotfixes",
             "inputs": "; ".join(f"{k} {v} ({src})" for k, v, src in inputs), "formula": formula}
    return total, parts


def capacity(catalog: Catalog, surveys: Mapping[str, Survey]) -> tuple[float, str]:
    """Person-days the meeting hands out: the surveys' capacity_days summed, else the catalog's planning default."""
    answers = [s.capacity_days for s in surveys.values() if s.capacity_days is not None]
    if answers and sum(answers) > 0:
        return float(sum(answers)), SURVEY
    return float(catalog.planning.capacity_days), DEFAULT


def score_items(catalog: Catalog, hits: pd.DataFrame, units: pd.DataFrame, delivery: pd.DataFrame,
                accounts: pd.DataFrame, surveys: Mapping[str, Survey] | None = None, *,
                capacity_days: float | None = None, seed: int = 7, runs: int = 1000,
                resource_teams: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The `ranking` table: one row per catalog item in build order (rank), the pick within capacity marked."""
    surveys = surveys or {}
    cap, cap_src = (float(capacity_days), "parameter") if capacity_days else capacity(catalog, surveys)
    rates = _unit_rates(units, delivery, surveys)
    cov_all = _covered(hits, units, accounts, resource_teams)
    rows = []
    for item in catalog.items:
        cov = cov_all[cov_all["item_id"] == item.id]
        teams = set(cov["team"].dropna())
        teams |= {t for ts, team in zip(cov["teams"], cov["team"], strict=True) if not isinstance(team, str)
                  for t in as_list(ts)}
        clients = sorted(set(cov["client"].dropna()))
        n_units = int(cov[["account_id", "unit_id"]].drop_duplicates().shape[0])
        hours, parts = item_hours(item, cov, rates, surveys, catalog.planning)
        e = item.effort
        effort = e.fixed_days + e.per_unit_days * n_units + e.per_client_days * len(clients)
        weight = 1.0 + (item.payoff.time_criticality + item.payoff.risk_weight) / 10.0
        rows.append({"item_id": item.id, "title": item.title, "clients": len(clients), "teams": len(teams),
                     "units": n_units, "client_list": clients, "team_list": sorted(teams),
                     "hours_saved_per_year": round(hours, 2),
                     "delay_hours_avoided_per_year": round(parts["delay_h"], 1),
                     "effort_days": round(effort, 3), "cost_of_delay": round(hours * weight, 4) if n_units else 0.0,
                     "depends_on": list(item.depends_on), "inputs": parts["inputs"], "formula": parts["formula"],
                     "issue_type": item.issue_type, "priority": item.priority, "labels": list(item.labels),
                     "_parts": parts})
    out = pd.DataFrame(rows)
    eff, cod = out["effort_days"].to_numpy(float), out["cost_of_delay"].to_numpy(float)
    h = out["hours_saved_per_year"].to_numpy(float)
    out["roi"] = np.where(eff > 0, h / (np.maximum(eff, 1e-9) * HOURS_PER_DAY), np.nan)
    plan = PickPlan.of(out)
    key, order, picked = plan.run(cod[None, :], eff[None, :], cap)
    out["wsjf"] = plan.wsjf(cod[None, :], eff[None, :])[0]
    out["pick_key"] = key[0]
    out["rank"] = np.argsort(order[0]) + 1
    out["picked"] = picked[0]
    out["capacity_days"], out["capacity_source"] = cap, cap_src
    by_rank = out.sort_values("rank")
    out["cumulative_hours"] = by_rank["hours_saved_per_year"].cumsum().reindex(out.index)
    out["cumulative_effort_days"] = by_rank["effort_days"].cumsum().reindex(out.index)
    out["pick_share"] = plan.share(cod, eff, cap, seed=seed, runs=runs)
    ranks = dict(zip(out["item_id"], out["rank"], strict=True))
    out["why"] = [_why(r, ranks) for r in out.to_dict("records")]
    return conform("ranking", out.sort_values("rank"))


def _names(values: list[str], limit: int = 5) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" +{len(values) - limit} more" if len(values) > limit else "")


def _why(row: dict, ranks: Mapping[str, int]) -> str:
    """Plain-text reason: who is covered, the formula of the hours, the delay, what it costs, what first."""
    if row["units"] == 0:
        return "No unit in this snapshot matches its rule, so it saves nothing yet."
    p = row["_parts"]
    text = (f"Covers {row['units']} unit(s) at {row['clients']} client(s) ({_names(row['client_list'])}) "
            f"for {row['teams']} team(s) ({_names(row['team_list'])}). Saves {row['formula']}. ")
    if p["delay_h"] > 0:
        text += (f"Also avoids ~{p['delay_h']:,.0f} calendar hours/yr of broken delivery (cost of delay, "
                 "not counted as hours saved). ")
    if p["unknown"]:
        text += f"{p['unknown']} unit(s) have no delivery history and no survey answer (counted as 0). "
    text += f"Effort {row['effort_days']:.1f} person-days; WSJF {row['wsjf']:.1f}"
    if row["pick_key"] > row["wsjf"] + 1e-9:
        text += f", sorted at {row['pick_key']:.1f} for what it unblocks"
    text += "."
    if row["depends_on"]:
        text += " Needs first: " + ", ".join(f"#{ranks[d]} {d}" for d in row["depends_on"]) + "."
    return text
