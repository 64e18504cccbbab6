"""The house rules of docs/architecture.md, checked over the import graph of src/audit (ast, no import).

Rooms are the first name under `audit` (`audit.analysis.units` lives in `analysis`). The contract,
MAY_IMPORT below, floor by floor (a room imports its own floor's ground rooms and what is below):

    ground     errors, logs, _version, names, sprints, yamlfile, options, urls, interrupts, picklist, markdown: one fact each
    store      the ground only (it imports nothing of the project above it)
    config     store (the catalog's dry run needs the schema), ground
    aws        config, store, ground
    repos      config, store, ground (CodeCommit clone URLs come from the crawl's table, not from aws)
    analysis   config, store, ground: no aws, repos, demo, report, pipeline
    report     config, store, ground: no aws, repos, demo, pipeline (the report only reads)
    onboarding analysis, config, store, ground: the kit is written from the snapshot and its analysis
    pipeline   everything above but the CLI
    demo       everything but the CLI; and nothing imports demo but the CLI, the pipeline (and tests)
    cli        everything

    no circle between modules (imports under TYPE_CHECKING and inside functions count too)
    no function-level import of audit.* without a comment on its line or the line above saying why

ALLOWED_* list known violations, each with its reason; an entry that no longer matches the code
fails the test too, so the lists only shrink: when your change removes a violation, delete its entry.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
GROUND = {"", "errors", "logs", "_version", "names", "sprints", "yamlfile", "options", "urls", "interrupts", "picklist", "markdown"}  # "": audit/__init__
MAY_IMPORT: dict[str, set[str]] = {
    **{room: GROUND for room in GROUND},
    "store": GROUND,
    "config": GROUND | {"store"},
    "aws": GROUND | {"store", "config"},
    "repos": GROUND | {"store", "config"},  # CodeCommit clone URLs come from the crawl's table
    "analysis": GROUND | {"store", "config"},
    "report": GROUND | {"store", "config"},
    "onboarding": GROUND | {"store", "config", "analysis"},
    "pipeline": GROUND | {"store", "config", "aws", "repos", "analysis", "report", "onboarding", "demo"},
    "demo": GROUND | {"store", "config", "aws", "repos", "analysis", "report", "onboarding", "pipeline"},
    "cli": GROUND | {"store", "config", "aws", "repos", "analysis", "report", "onboarding", "pipeline", "demo"},
    "__main__": {"cli"},
}

# (importer, imported) -> why it is still there. Shrinks to empty; delete an entry once it is gone.
ALLOWED_LAYERING: dict[tuple[str, str], str] = {
}
# frozenset of the modules in one circle -> why
ALLOWED_CIRCLES: dict[frozenset[str], str] = {}
# (importer, imported) of an unexplained function-level import -> why
ALLOWED_LOCAL: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int
    local: bool  # inside a function, or under `if TYPE_CHECKING:`
    explained: bool  # a comment on the import's line or the line above


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "audit").rglob("*.py"))}


def _target(name: str, known: dict[str, Path]) -> str | None:
    """The module `name` resolves to: itself, or the package that defines it as an attribute."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


class _Visitor(ast.NodeVisitor):
    def __init__(self, importer: str, lines: list[str], known: dict[str, Path]) -> None:
        self.importer, self.lines, self.known = importer, lines, known
        self.depth, self.edges = 0, []

    def _explained(self, node: ast.stmt) -> bool:
        here = self.lines[node.lineno - 1]
        above = self.lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        return "#" in here or above.startswith("#")

    def _add(self, node: ast.stmt, names: list[str]) -> None:
        for name in names:
            target = _target(name, self.known)
            if target and target.startswith("audit") and target != self.importer:
                self.edges.append(Edge(self.importer, target, node.lineno, self.depth > 0, self._explained(node)))

    def visit_Import(self, node: ast.Import) -> None:
        self._add(node, [a.name for a in node.names])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.importer.split(".")
            if self.known[self.importer].name != "__init__.py":
                package.pop()
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        self._add(node, [f"{base}.{a.name}" for a in node.names])

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = _nested

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
                (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
            self._nested(node)
        else:
            self.generic_visit(node)


@functools.cache
def import_edges() -> tuple[Edge, ...]:
    known = modules()
    edges = []
    for name, path in known.items():
        text = path.read_text(encoding="utf-8")
        visitor = _Visitor(name, text.splitlines(), known)
        visitor.visit(ast.parse(text, str(path)))
        edges += visitor.edges
    return tuple(edges)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def where(edge: Edge) -> str:
    path = modules()[edge.importer].relative_to(SRC.parent)
    return f"{path}:{edge.line}: {edge.importer} -> {edge.imported}"


def layering_violations(edges: Sequence[Edge]) -> dict[tuple[str, str], Edge]:
    out = {}
    for e in edges:
        src, dst = room(e.importer), room(e.imported)
        if src == dst:
            continue
        if dst not in MAY_IMPORT.get(src, set()):
            out.setdefault((e.importer, e.imported), e)
    return out


def circles(edges: Sequence[Edge]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.imported)
        graph.setdefault(e.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def unexplained_local(edges: Sequence[Edge]) -> dict[tuple[str, str], Edge]:
    out = {}
    for e in edges:
        if e.local and not e.explained:
            out.setdefault((e.importer, e.imported), e)
    return out


def _check(found: dict, allowed: dict, what: str, show) -> None:
    new = [show(found[k]) for k in sorted(found, key=str) if k not in allowed]
    stale = [f"{k}: {allowed[k]}" for k in sorted(allowed, key=str) if k not in found]
    assert not new, f"{what} (see docs/architecture.md):\n  " + "\n  ".join(new)
    assert not stale, (f"{what}: gone from the code, so delete these entries from tests/test_layering.py:\n  "
                       + "\n  ".join(stale))


def test_the_graph_is_read() -> None:
    edges = import_edges()
    pairs = {(e.importer, e.imported) for e in edges}
    assert ("audit.analysis.delivery", "audit.analysis.frames") in pairs  # from-import of a module
    assert ("audit.aws.collectors.lambda_", "audit.aws.collectors.base") in pairs
    assert ("audit.aws", "audit.aws.collectors") in pairs  # a package importing its submodule's name
    assert all(e.imported in modules() for e in edges)


def test_rooms_import_only_downwards() -> None:
    _check(layering_violations(import_edges()), ALLOWED_LAYERING, "imports across the house rules", where)


def test_no_import_circle() -> None:
    found = {c: c for c in circles(import_edges())}
    _check(found, ALLOWED_CIRCLES, "import circles", lambda c: " <-> ".join(sorted(c)))


def test_function_level_imports_say_why() -> None:
    _check(unexplained_local(import_edges()), ALLOWED_LOCAL,
           "function-level imports of audit.* without a comment saying why", where)


def test_every_room_has_a_rule() -> None:
    rooms = {room(m) for m in modules()}
    assert rooms <= set(MAY_IMPORT), f"add a row to MAY_IMPORT (and docs/architecture.md): {rooms - set(MAY_IMPORT)}"


def test_the_checks_catch_what_they_claim() -> None:
    """The checks themselves can fail: a made-up graph with one of each violation."""
    fake = [Edge("audit.store.schema", "audit.config", 1, False, False),
            Edge("audit.analysis.units", "audit.aws.crawler", 1, False, False),
            Edge("audit.report.sections", "audit.demo.fleet", 1, False, False),
            Edge("audit.aws.crawler", "audit.demo.fleet", 1, True, True),
            Edge("audit.demo.fleet", "audit.aws.crawler", 1, False, False),
            Edge("audit.cli", "audit.demo.fleet", 1, True, False),
            Edge("audit.store.schema", "audit.errors", 1, False, False)]
    assert set(layering_violations(fake)) == {("audit.store.schema", "audit.config"),
                                              ("audit.analysis.units", "audit.aws.crawler"),
                                              ("audit.report.sections", "audit.demo.fleet"),
                                              ("audit.aws.crawler", "audit.demo.fleet")}
    assert circles(fake) == [frozenset({"audit.aws.crawler", "audit.demo.fleet"})]
    assert set(unexplained_local(fake)) == {("audit.cli", "audit.demo.fleet")}
