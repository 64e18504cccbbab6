"""catalog.yaml: candidate automation work items as data (rule in SQL, effort, payoff, dependencies).

Teams add items without touching code, so every mistake must be caught before scoring, with the
file, line and item id: unknown keys and payoff fields, negative effort, unknown or cyclic
`depends_on`, and `applies_to` SQL that does not run or does not return the unit key columns
(`account_id`, `unit_id`). `load_catalog` checks the SQL statically and dry-runs it in the rule
sandbox (`audit.store.sandbox`) against empty copies of the tables a rule may read, so
`cicd-audit validate inventory/catalog.yaml` needs no snapshot. Running the rules on a snapshot is
the analysis' job (`audit.analysis.scoring`), in the same sandbox.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, StringConstraints, model_validator

from audit.config.base import Located, Model, validate_model
from audit.errors import ConfigError
from audit.store.sandbox import Rule, Sandbox, check_static
from audit.yamlfile import LocatedYaml, load_yaml

ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
UNIT_KEY = ("account_id", "unit_id")
NonNeg = Annotated[float, Field(ge=0)]


class Effort(Model):
    """Effort in person-days: fixed + per covered unit + per covered client."""

    fixed_days: NonNeg
    per_unit_days: NonNeg = 0
    per_client_days: NonNeg = 0


class Payoff(Model):
    """Hours saved per year, summed over the units an item covers (see docs/catalog.md)."""

    minutes_saved_per_deploy: NonNeg | Literal["survey"] = 0
    survey_share: float = Field(1.0, ge=0, le=1, description="share of the survey's manual minutes removed")
    events: Literal["deploys", "hotfixes"] = "deploys"
    deploys_per_year: NonNeg | Literal["history"] = "history"
    failures_avoided_rate: float = Field(0, ge=0, le=1)
    # calendar hours per failure until the next good deploy: cost of delay, never person-hours
    restore_hours: NonNeg | Literal["history"] = "history"
    hours_per_unit_per_year: NonNeg = 0
    hours_per_client_per_year: NonNeg = 0
    onboarding_minutes: NonNeg | Literal["survey"] = 0
    onboardings_per_year: NonNeg = 0
    risk_weight: float = Field(1, ge=0, le=10, description="risk reduction / opportunity enablement, 0..10")
    time_criticality: float = Field(1, ge=0, le=10)


class Planning(Model):
    """Fleet-wide defaults of the payoff model and the pick list; a team's survey overrides them."""

    person_hours_per_incident: NonNeg = Field(
        3, description="engineer hours one failed deploy costs (notice, diagnose, fix, redeploy); "
                       "survey `person_hours_per_incident` per team overrides")
    capacity_days: float = Field(
        30, gt=0, description="person-days the meeting hands out per planning round; the surveys' "
                              "`capacity_days`, summed, override")


class Item(Model):
    id: ItemId
    title: str = Field(min_length=3, max_length=200)
    description: str = ""
    applies_to: str = Field(min_length=10, description="DuckDB SQL returning account_id, unit_id")
    effort: Effort
    payoff: Payoff = Payoff()
    depends_on: list[ItemId] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    issue_type: Literal["Story", "Task", "Epic", "Improvement"] = "Story"
    priority: Literal["Highest", "High", "Medium", "Low", "Lowest"] | None = None


class Catalog(Model):
    version: int = 1
    rule_time_limit_seconds: float = Field(30, gt=0, le=3600, description="each applies_to rule's time limit")
    planning: Planning = Planning()
    items: list[Item] = Field(min_length=1)
    _file: str | None = PrivateAttr(None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Catalog:
        index = {}
        for i, item in enumerate(self.items):
            if item.id in index:
                raise Located(f"item {item.id!r}: duplicate id (also items[{index[item.id]}])", ("items", i, "id"))
            index[item.id] = i
        for i, item in enumerate(self.items):
            for j, dep in enumerate(item.depends_on):
                if dep not in index:
                    raise Located(f"item {item.id!r}: depends_on names unknown item {dep!r}",
                                   ("items", i, "depends_on", j))
                if dep == item.id:
                    raise Located(f"item {item.id!r}: depends on itself", ("items", i, "depends_on", j))
        cycle = _find_cycle({it.id: it.depends_on for it in self.items})
        if cycle:
            i = index[cycle[0]]
            raise Located(f"item {cycle[0]!r}: cyclic depends_on: {' -> '.join(cycle)}", ("items", i, "depends_on"))
        return self

    def by_id(self) -> dict[str, Item]:
        return {it.id: it for it in self.items}

    @property
    def file(self) -> str | None:
        return self._file

    def line_of(self, item_id: str) -> int | None:
        return self._lines.get(item_id)


def _find_cycle(deps: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path (a -> b -> a), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in deps.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in deps:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _with_item_id(exc: ConfigError, doc: LocatedYaml) -> ConfigError:
    """Add `item '<id>':` to a pydantic error located inside items[i]."""
    match = re.match(r"items\[(\d+)\]", exc.field or "")
    text = str(exc)
    if not match or "item '" in text:
        return exc
    items = doc.data.get("items") if isinstance(doc.data, dict) else None
    i = int(match.group(1))
    item_id = items[i].get("id") if isinstance(items, list) and i < len(items) and isinstance(items[i], dict) else None
    prefix = f"{exc.file}:{exc.line}: " if exc.line else (f"{exc.file}: " if exc.file else "")
    prefix += f"{exc.field}: "
    message = text[len(prefix):] if text.startswith(prefix) else text
    label = f"item {item_id!r}" if item_id else f"items[{i}]"
    return ConfigError(f"{label}: {message}", file=exc.file, line=exc.line, field=exc.field)


def rule_sql(item: Item) -> str:
    """The item's rule as one SELECT statement (a single trailing semicolon is allowed).

    It ends with a newline, so a trailing `-- comment` cannot swallow the SQL wrapped around it.
    """
    return item.applies_to.strip().rstrip(";").strip() + "\n"


def rule_of(item: Item, catalog: Catalog) -> Rule:
    """The item's rule with where it was written (file, line), as the sandbox runs it."""
    return Rule(item.id, rule_sql(item), catalog.file, catalog.line_of(item.id))


def check_rule(rule: Rule, sandbox: Sandbox) -> None:
    """Static checks, then a LIMIT 0 run in the sandbox: it must work and return the unit key columns."""
    check_static(rule)
    cols = sandbox.columns(rule)
    missing = [k for k in UNIT_KEY if k not in cols]
    if missing:
        raise rule.error(f"returns no unit key column(s) {missing} (it returns {cols}); "
                         "select account_id and unit_id")


def load_catalog(path: str | os.PathLike, *, check_sql: bool = True) -> Catalog:
    """Parse, validate and (by default) dry-run every rule; any problem is a ConfigError (exit 2)."""
    doc = load_yaml(path)
    try:
        catalog = validate_model(Catalog, doc)
    except ConfigError as exc:
        raise _with_item_id(exc, doc) from None
    catalog._file = doc.file
    catalog._lines = {it.id: doc.line_of(("items", i, "applies_to")) for i, it in enumerate(catalog.items)}
    if check_sql:
        with Sandbox.empty(seconds=catalog.rule_time_limit_seconds) as sandbox:
            for item in catalog.items:
                check_rule(rule_of(item, catalog), sandbox)
    return catalog
