"""Score the catalog's work items on the inventory: coverage, hours saved, effort, ROI, WSJF, order.

    hits        each item's `applies_to` SQL over the snapshot (+ the `units`/`delivery` views)
    hours/year  per covered unit: events/year x minutes saved / 60
                                  + events/year x change failure rate x failures avoided x restore hours
                                  + hours_per_unit_per_year;
                per item: + hours_per_client_per_year x clients + onboarding minutes x onboardings / 60
                events/year = history (deploys_per_week x 52, hotfix share for `events: hotfixes`),
                else the team survey (deploys_per_sprint, hotfixes_per_month), else unknown (0, said in `why`)
    effort      fixed_days + per_unit_days x units + per_client_days x clients
    roi         hours saved per year / (effort days x 8 h)
    wsjf        cost of delay / job size, with the cost of delay measured in hours rather than guessed:
                hours saved per year x (1 + (time criticality + risk weight) / 10), over effort days.
                Hours drive the rank; risk and criticality (0..10 each) can at most triple an item's
                value, so a cheap item that saves nothing never outranks one that saves hundreds of
                hours. An item that covers nothing scores 0
    order       topological, greedy by wsjf among items whose prerequisites are done
    top_n_share Monte Carlo, effort and hours each x U(0.7, 1.3): share of runs in the top N
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from audit.analysis.catalog import Catalog, Item, rule_of
from audit.analysis.frames import as_list, conform, table, to_table
from audit.config import Survey
from audit.store.sandbox import RULE_TABLES, Sandbox, check_static

HOURS_PER_DAY = 8.0
NOISE = 0.3


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


def item_hours(item: Item, cov: pd.DataFrame, rates: pd.DataFrame,
               surveys: Mapping[str, Survey]) -> tuple[float, dict]:
    """Hours saved per year for one item and the parts that explain it.

    Deploy and failure hours need a unit's history (or survey); per-unit hours count every hit.
    """
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
    else:
        events = pd.Series(float(p.deploys_per_year), index=r.index)
        from_history, from_survey, unknown = 0, 0, 0
    per_team = {t: _minutes(item, t, surveys) for t in set(r["team"].dropna())}
    minutes = r["team"].map(per_team).fillna(_minutes(item, None, surveys)).to_numpy(dtype=float)
    deploy_h = float((events.to_numpy() * minutes).sum() / 60)
    restore = r["ttr"] if p.restore_hours == "history" else pd.Series(float(p.restore_hours), index=r.index)
    failure_h = float((events * r["cfr"].fillna(0) * p.failures_avoided_rate * restore.fillna(0)).sum())
    clients = cov["client"].dropna().nunique()
    fixed_h = p.hours_per_unit_per_year * n_hits + p.hours_per_client_per_year * clients
    if p.onboarding_minutes == "survey":
        teams = set(cov["team"].dropna())
        vals = [surveys[t].manual_minutes("onboarding") for t in teams if t in surveys]
        onboarding = float(np.mean(vals)) if vals else 0.0
    else:
        onboarding = float(p.onboarding_minutes)
    onboarding_h = onboarding * p.onboardings_per_year / 60
    parts = {"deploy_h": deploy_h, "failure_h": failure_h, "fixed_h": fixed_h, "onboarding_h": onboarding_h,
             "events": float(events.sum()), "from_history": from_history, "from_survey": from_survey,
             "unknown": unknown, "minutes": float(minutes.mean()) if len(minutes) else 0.0,
             "hotfixes": p.events == "hotfixes"}
    return deploy_h + failure_h + fixed_h + onboarding_h, parts


def score_items(catalog: Catalog, hits: pd.DataFrame, units: pd.DataFrame, delivery: pd.DataFrame,
                accounts: pd.DataFrame, surveys: Mapping[str, Survey] | None = None, *, top_n: int = 10,
                seed: int = 7, runs: int = 1000, resource_teams: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The `ranking` table: one row per catalog item, ranked by WSJF, with order and stability."""
    surveys = surveys or {}
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
        hours, parts = item_hours(item, cov, rates, surveys)
        e = item.effort
        effort = e.fixed_days + e.per_unit_days * n_units + e.per_client_days * len(clients)
        rows.append({"item_id": item.id, "title": item.title, "clients": len(clients), "teams": len(teams),
                     "units": n_units, "client_list": clients, "team_list": sorted(teams),
                     "hours_saved_per_year": round(hours, 2), "effort_days": round(effort, 3),
                     "depends_on": list(item.depends_on), "_parts": parts,
                     "_tc": item.payoff.time_criticality, "_risk": item.payoff.risk_weight})
    out = pd.DataFrame(rows)
    h, eff = out["hours_saved_per_year"].to_numpy(float), out["effort_days"].to_numpy(float)
    covered = out["units"].to_numpy() > 0
    out["roi"] = np.where(eff > 0, h / (np.maximum(eff, 1e-9) * HOURS_PER_DAY), np.nan)
    out["wsjf"] = _wsjf(h[None, :], eff[None, :], out["_tc"].to_numpy(float), out["_risk"].to_numpy(float),
                        covered)[0]
    order_key = out.sort_values(["wsjf", "roi", "item_id"], ascending=[False, False, True]).index
    out.loc[order_key, "rank"] = np.arange(1, len(out) + 1)
    seq = dependency_order(out["item_id"].tolist(), out["depends_on"].tolist(), out["wsjf"].to_numpy(float))
    pos = {item: i + 1 for i, item in enumerate(seq)}
    out["order"] = out["item_id"].map(pos)
    by_order = out.set_index("item_id").loc[seq]
    out["cumulative_hours"] = out["item_id"].map(by_order["hours_saved_per_year"].cumsum())
    out["cumulative_effort_days"] = out["item_id"].map(by_order["effort_days"].cumsum())
    out["top_n_share"] = rank_stability(h, eff, out["_tc"].to_numpy(float), out["_risk"].to_numpy(float), covered,
                                        top_n=top_n, seed=seed, runs=runs)
    out["why"] = [_why(r, catalog) for r in out.to_dict("records")]
    return conform("ranking", out.sort_values("rank"))


def _wsjf(hours: np.ndarray, effort: np.ndarray, tc: np.ndarray, risk: np.ndarray,
          covered: np.ndarray) -> np.ndarray:
    """WSJF for each row of a (runs x items) matrix of hours and efforts (see the module docstring)."""
    cost_of_delay = hours * (1.0 + (tc[None, :] + risk[None, :]) / 10.0)
    score = cost_of_delay / np.maximum(effort, 1e-3)
    return np.where(covered[None, :], score, 0.0)


def rank_stability(hours: np.ndarray, effort: np.ndarray, tc: np.ndarray, risk: np.ndarray, covered: np.ndarray,
                   *, top_n: int = 10, seed: int = 7, runs: int = 1000, noise: float = NOISE) -> np.ndarray:
    """Share of Monte Carlo runs (hours and effort each x U(1-noise, 1+noise)) an item is in the top N."""
    n = len(hours)
    if n == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    h = hours[None, :] * rng.uniform(1 - noise, 1 + noise, (runs, n))
    e = effort[None, :] * rng.uniform(1 - noise, 1 + noise, (runs, n))
    score = np.where(covered[None, :], _wsjf(h, e, tc, risk, covered), -np.inf)
    ranks = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1, kind="stable")
    return ((ranks < top_n) & covered[None, :]).mean(axis=0)


def dependency_order(items: list[str], depends_on: list[list[str]], value: np.ndarray) -> list[str]:
    """Topological order, greedy by value among items whose prerequisites are all placed."""
    deps = {i: set(d) for i, d in zip(items, depends_on, strict=True)}
    val = dict(zip(items, value, strict=True))
    done: list[str] = []
    left = set(items)
    while left:
        ready = [i for i in left if deps[i] <= set(done)]
        if not ready:  # cycles are rejected by the catalog; never loop forever
            ready = list(left)
        best = min(ready, key=lambda i: (-val[i], i))
        done.append(best)
        left.remove(best)
    return done


def _names(values: list[str], limit: int = 5) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" +{len(values) - limit} more" if len(values) > limit else "")


def _why(row: dict, catalog: Catalog) -> str:
    """Plain-text reason: who is covered, how many hours from which data, what it costs, what first."""
    p = row["_parts"]
    if row["units"] == 0:
        return "No unit in this snapshot matches its rule, so it saves nothing yet."
    text = (f"Covers {row['units']} unit(s) at {row['clients']} client(s) ({_names(row['client_list'])}) "
            f"for {row['teams']} team(s) ({_names(row['team_list'])}). ")
    bits = []
    if p["deploy_h"] > 0:
        src = []
        if p["from_history"]:
            src.append(f"{p['from_history']} unit(s) from delivery history")
        if p["from_survey"]:
            src.append(f"{p['from_survey']} from the team survey")
        what = "hotfixes" if p["hotfixes"] else "deploys"
        bits.append(f"{p['deploy_h']:.0f} h from {p['events']:.0f} {what}/yr x ~{p['minutes']:.0f} min saved"
                    + (f" ({'; '.join(src)})" if src else ""))
    if p["failure_h"] > 0:
        bits.append(f"{p['failure_h']:.0f} h of restore time from failures avoided")
    if p["fixed_h"] > 0:
        bits.append(f"{p['fixed_h']:.0f} h of recurring per-unit/per-client work")
    if p["onboarding_h"] > 0:
        bits.append(f"{p['onboarding_h']:.0f} h of onboarding work")
    text += (f"Saves ~{row['hours_saved_per_year']:.0f} h/yr: " + ", ".join(bits) + ". ") if bits else \
        "No measurable hours saved; ranked on risk and time criticality. "
    if p["unknown"]:
        text += f"{p['unknown']} unit(s) have no delivery history and no survey answer (counted as 0). "
    roi = row["roi"]
    text += f"Effort {row['effort_days']:.1f} d" + (f", ROI {roi:.1f}x." if roi == roi else ".")
    if row["depends_on"]:
        text += f" Needs first: {', '.join(row['depends_on'])}."
    return text
