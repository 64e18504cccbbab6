"""Who owns a unit that no repository, `team` tag or single-team account names.

A hand-made ECS service in an account two teams serve still says whose it is: its shape (family
`image -> ecs`, the dominant pattern of one of them) and its names (cluster and service named like
that team's resources in its other clients). Each of the account's teams is scored

    score = family match (1 = the team's dominant family, 0.5 = a family the team also runs, else 0)
          + name similarity (best token Jaccard of the unit's names with the team's names elsewhere)

and the unit is attributed (`team_source = inferred`) only when one team clearly wins: its score is at
least MIN_SCORE and MARGIN more than the runner-up. The confidence is the winner's share of all
scores; the evidence says which family and which name matched. Anything else stays unattributed
(null team), and `team_drift` lists it as such.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from audit.analysis.patterns import dominant_fingerprints
from audit.analysis.vocab import normalise_name

MIN_SCORE = 1.0
MARGIN = 0.5
_PLACEHOLDER = re.compile(r"\{[a-z]+\}")
_SPLIT = re.compile(r"[^a-z0-9]+")


def name_tokens(name: str, client: str | None) -> frozenset[str]:
    """A name's words with client, account, region and numbers left out (`acme-web-svc-2` -> {web, svc})."""
    norm = _PLACEHOLDER.sub(" ", normalise_name(name, client))
    return frozenset(t for t in _SPLIT.split(norm) if len(t) > 1)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def infer_teams(units: pd.DataFrame, account_teams: Mapping[str, list[str]],
                names: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """`units` with team, team_source, team_confidence and team_evidence filled where inference wins.

    `names`: unit_id -> the names of the unit and its resources (service, cluster, stack, pipeline).
    Only units with a team from repo/account/tag are evidence; an inferred team never votes.
    """
    todo = units["team"].isna() & units["client"].notna()
    if not todo.any():
        return units
    known = units[units["team"].notna() & units["client"].notna()]
    if known.empty:
        return units
    dom_family = dict(zip(*(dominant_fingerprints(known)[c] for c in ("team", "family")), strict=True))
    families: dict[str, set[str]] = defaultdict(set)
    team_names: dict[str, dict[frozenset[str], tuple[str, str]]] = defaultdict(dict)  # tokens -> (name, client)
    for uid, team, client, fam in zip(known["unit_id"], known["team"], known["client"], known["family"], strict=True):
        families[team].add(fam)
        for n in sorted(names.get(uid, ())):
            toks = name_tokens(n, client)
            if toks:
                team_names[team].setdefault(toks, (n, client))
    everyone = sorted(families)
    units = units.copy()
    for i in units.index[todo]:
        u = units.loc[i]
        candidates = account_teams.get(u["account_id"]) or everyone
        mine = [(n, name_tokens(n, u["client"])) for n in sorted(names.get(u["unit_id"], ()))]
        scored = []
        for team in candidates:
            fam = 1.0 if dom_family.get(team) == u["family"] else 0.5 if u["family"] in families[team] else 0.0
            best, why = (0.0, 0), ""
            for n, toks in mine:
                for other, (their, client) in team_names[team].items():
                    if client == u["client"]:
                        continue  # the team's names in *other* clients
                    sim = (_jaccard(toks, other), len(toks & other))  # ties: the more specific name
                    if sim > best:
                        best, why = sim, f"name {n!r} like {team}'s {their!r} ({client})"
            best = best[0]
            scored.append((fam + best, team, fam, why))
        scored.sort(key=lambda s: (-s[0], s[1]))
        if not scored:
            continue
        top = scored[0]
        second = scored[1][0] if len(scored) > 1 else 0.0
        if top[0] < MIN_SCORE or top[0] - second < MARGIN:
            continue
        total = sum(s[0] for s in scored)
        family = {1.0: f"family {u['family']} is {top[1]}'s dominant", 0.5: f"family {u['family']} is one {top[1]} runs",
                  0.0: f"family {u['family']} not {top[1]}'s"}[top[2]]
        others = ", ".join(f"{t} {s:.2f}" for s, t, _, _ in scored[1:]) or "no other team"
        units.loc[i, ["team", "team_source", "team_confidence", "team_evidence"]] = [
            top[1], "inferred", round(top[0] / total, 2) if total else 1.0,
            f"{family}; {top[3] or 'no name match'}; score {top[0]:.2f} vs {others}"]
    return units
