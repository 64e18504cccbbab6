"""Write the onboarding kit of one snapshot: baseline.yaml, plan.md, plan.json, options.md.

    kit = build_kit(snapshot, organization=...)     the files' contents, from the snapshot's analysis
    write_kit(kit, out / "onboarding")              atomically (a staging directory, then one swap)

The template is linted with cfn-lint (the ecosystem's own checker) before it is written; its
findings go into plan.md and plan.json. An empty or all-failed snapshot has nothing to generate:
the kit says so and writes a plan.md that says why.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from audit.analysis.baseline import baseline
from audit.analysis.frames import load_inventory, table
from audit.analysis.onboarding import home_regions, onboarding_table, shapes
from audit.analysis.units import build_units
from audit.config import AccountsConfig
from audit.logs import console
from audit.onboarding.options import facts, options, options_md
from audit.onboarding.plan import plan_data, plan_json, plan_md
from audit.onboarding.template import Template, build
from audit.store.atomic import exclusive, fsync_dir, fsync_file, recover, swap_in
from audit.store.snapshots import Snapshot, open_snapshot

FILES = ("baseline.yaml", "plan.md", "plan.json", "options.md")
LEVELS = {"E": "error", "W": "warning", "I": "informational"}


@dataclass
class Kit:
    """The kit's files (name -> text) and what the caller reports."""

    files: dict[str, str]
    template: Template | None
    lint: list[dict[str, Any]] = field(default_factory=list)
    nothing: str = ""  # why there is nothing to generate ("" when there is)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m for m in self.lint if m["level"] == "error"]


def lint_template(text: str, regions: list[str]) -> list[dict[str, Any]]:
    """cfn-lint's findings for the template in the regions it will be deployed to."""
    # start-up time: cfn-lint takes ~1 s to import; only the kit needs it, not every CLI command
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(regions=regions or ["us-east-1"]))
    return sorted(({"rule": m.rule.id, "level": LEVELS.get(m.rule.id[:1], "warning"), "line": m.linenumber,
                    "message": m.message} for m in matches), key=lambda m: (m["line"], m["rule"]))


def _analysed(snapshot: Snapshot, name: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The analysis' table when the snapshot was analysed (the weekly run just wrote it), else computed."""
    return snapshot.table(name) if name in snapshot.analysis_tables() else compute()


def build_kit(snapshot: Snapshot, *, organization: bool | None = None, teams: list[str] | None = None) -> Kit:
    """The kit's contents for one snapshot (nothing is written)."""
    inv = load_inventory(snapshot)
    units = _analysed(snapshot, "units", lambda: build_units(inv))
    found = shapes(inv, units, _analysed(snapshot, "baseline", lambda: baseline(inv, units)))
    accounts = table(inv, "accounts")
    crawled = accounts[accounts["status"].fillna("ok") != "failed"]
    if not len(crawled) or not found:
        why = ("no client account could be crawled in this snapshot" if len(accounts) else
               "this snapshot holds no crawled account") if not len(crawled) else \
              "no item is shared by enough client accounts to form a baseline"
        return Kit({"plan.md": f"# Onboarding plan\n\nNothing to generate: {why}.\n"}, None, nothing=why)
    template = build(found)
    text = template.text
    findings = lint_template(text, sorted({template.primary_region or "us-east-1", *template.fixed_regions}))
    data = plan_data(_analysed(snapshot, "onboarding", lambda: onboarding_table(inv, found)), template, findings,
                     home_regions(inv))
    team_names = sorted(set(teams or []) | {t for ts in accounts["teams"] if ts is not None for t in ts})
    opts = options(facts(inv, units, template.tooling_account, organization), team_names)
    files = {"baseline.yaml": text, "plan.md": plan_md(data, template), "plan.json": plan_json(data),
             "options.md": options_md(opts)}
    return Kit(files, template, findings)


def write_kit(kit: Kit, final: Path) -> Path:
    """The kit's files into `final` (e.g. reports/<date>/onboarding/), all or nothing."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        for name, body in kit.files.items():
            path = staging / name
            path.write_text(body, encoding="utf-8")
            fsync_file(path)
        fsync_dir(staging)
        with exclusive(final.parent):
            recover(final, "plan.md")  # a kit a killed writer moved aside comes back first
            swap_in(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final




def summary(kit: Kit, where: Path) -> str:
    """The one line the CLI and the weekly run print."""
    if kit.nothing:
        return f"onboarding: nothing to generate ({kit.nothing}); {where / 'plan.md'} says so"
    t = kit.template
    assert t is not None
    warnings = len(kit.lint) - len(kit.errors)
    return (f"onboarding: baseline.yaml with {len(t.emitted)} resources and {len(t.parameters)} parameters "
            f"(cfn-lint: {len(kit.errors)} errors, {warnings} warnings), {len(t.skipped)} items listed as not "
            f"emitted; plan.md, plan.json, options.md in {where}")


def onboarding_command(snapshot: Path, out: Path, accounts: AccountsConfig | None = None) -> Kit:
    """`cicd-audit onboarding`: the kit of a snapshot into out/<date>/onboarding/."""
    snap = open_snapshot(snapshot)
    kit = build_kit(snap, organization=None if accounts is None else accounts.discover is not None)
    where = write_kit(kit, Path(out) / snap.date / "onboarding")
    console.print(summary(kit, where), markup=False, highlight=False, soft_wrap=True)
    return kit


__all__ = ["FILES", "Kit", "build_kit", "lint_template", "onboarding_command", "summary", "write_kit"]
