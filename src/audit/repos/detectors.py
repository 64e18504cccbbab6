"""Run the rule table (repos/rules.py) over one repository's file list.

The engine only needs the list of paths (with sizes) and a batch reader: path rules are decided
from the list alone, and the few files that content probes need are read in *one* batch (a
blob-filtered clone fetches exactly those blobs). Every trait keeps the paths that prove it.
Hostile content is bounded: files over MAX_FILE_BYTES or binary are not probed, readers return
the first READ_BYTES, each probe looks at its rule's first `probe_kb` KB, at most MAX_PROBE_FILES
files are read per repository, and nothing is parsed as YAML (regex probes cannot alias-bomb).
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from audit.repos import rules as R
from audit.store.schema import TRAIT_FAMILIES

MAX_FILE_BYTES = 1_000_000
READ_BYTES = 256 * 1024  # readers return at most this much of a file: probes look at the head only
MAX_PROBE_FILES = 600
MAX_PROGRAM_FILES = 200
MAX_EVIDENCE = 20
BINARY_SNIFF = 8000


@dataclass(frozen=True)
class FileEntry:
    """One path of the repository tree; size None = unknown (read and check)."""

    path: str
    size: int | None = None
    kind: str = "file"  # file | symlink | submodule


@dataclass(frozen=True)
class Note:
    """A file skipped or read with care, with the reason (becomes an errors row)."""

    path: str
    reason: str  # too-large | binary | symlink-outside | symlink-not-followed | invalid-utf8 | unreadable | probe-limit


# A reader takes paths and returns path -> bytes (content) or str (reason it was not read).
Reader = Callable[[list[str]], dict[str, bytes | str]]


@dataclass
class Detection:
    traits: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    file_count: int = 0

    @property
    def skipped_count(self) -> int:
        return sum(1 for n in self.notes if n.reason != "invalid-utf8")

    def add(self, family: str, value: str, paths: Iterable[str]) -> None:
        have = self.traits.setdefault((family, value), [])
        for p in paths:
            if p not in have and len(have) < MAX_EVIDENCE:
                have.append(p)

    def as_dict(self) -> dict:
        """The scan-path JSON shape: six sorted lists plus `family:value` -> evidence paths."""
        out: dict = {f: sorted(v for (fam, v) in self.traits if fam == f) for f in TRAIT_FAMILIES}
        out["evidence"] = {f"{fam}:{v}": paths for (fam, v), paths in sorted(self.traits.items())}
        return out


@dataclass(frozen=True)
class _Compiled:
    rule: R.Rule
    path: re.Pattern
    probes: tuple[re.Pattern, ...]
    probe_not: re.Pattern | None
    skip: re.Pattern | None
    requires: tuple[re.Pattern, ...]
    unless: tuple[re.Pattern, ...]


def line_safe(pattern: str) -> str:
    r"""Make a probe regex linear-time on hostile text.

    Outside character classes `\s` becomes `[ \t]` (a probe never spans lines, so a file of
    blank lines cannot make `^\s*...` try every suffix) and `*`/`+` after it become possessive
    (no backtracking into runs of spaces). Inside classes `\s` keeps its meaning.
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i:i + 2]
            if pair == r"\s" and not in_class:
                out.append("[ \t]")
                if i + 2 < len(pattern) and pattern[i + 2] in "*+" and pattern[i + 3:i + 4] not in ("+", "?"):
                    out.append(pattern[i + 2] + "+")
                    i += 1
            else:
                out.append(pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            if pattern[i:i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i:i + 1] == "]":  # a literal ] first in a class
                out.append("]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _probe(pattern: str) -> re.Pattern:
    return re.compile(line_safe(pattern), re.MULTILINE)


def _compile(rule: R.Rule) -> _Compiled:
    return _Compiled(
        rule, re.compile(rule.path), tuple(_probe(p) for p in rule.probes),
        _probe(rule.probe_not) if rule.probe_not else None,
        re.compile(rule.skip) if rule.skip else None,
        tuple(re.compile(p) for p in rule.requires), tuple(re.compile(p) for p in rule.unless))


COMPILED = [_compile(rule) for rule in R.RULES]
# Rules sharing a path pattern are matched together: each distinct pattern runs once per path.
_GROUPS: dict[str, list[_Compiled]] = {}
for _rule in COMPILED:
    _GROUPS.setdefault(_rule.rule.path, []).append(_rule)
BY_PATH = [(rules[0].path, rules) for rules in _GROUPS.values()]
PROGRAM = [(f, v, tuple(_probe(x) for x in ((p,) if isinstance(p, str) else p))) for f, v, p in R.PROGRAM_RULES]
_IAC_IMPORT = _probe(R.IAC_IMPORT)
_PROGRAM_SOURCE, _PROGRAM_SKIP = re.compile(R.PROGRAM_SOURCE), re.compile(R.PROGRAM_SKIP)
_PROGRAM_FIRST = re.compile(R.PROGRAM_FIRST, re.IGNORECASE)
_PROGRAM_ROOTS = re.compile(r"(^|/)(cdk\.json|Pulumi\.ya?ml)$")
_LOCKS = {"package-lock.json": "npm", "npm-shrinkwrap.json": "npm", "yarn.lock": "yarn",
          "pnpm-lock.yaml": "pnpm", "bun.lockb": "bun", "bun.lock": "bun"}
_PACKAGE_MANAGER = re.compile(r"\"packageManager\"\s*:\s*\"(\w+)@")
_LANG_MANIFESTS = {lang: re.compile(p) for lang, p in R.LANGUAGE_MANIFESTS.items()}


def _any(patterns: Iterable[re.Pattern], paths: list[str]) -> bool:
    return any(p.search(x) for p in patterns for x in paths)


def _text(data: bytes, path: str, notes: list[Note]) -> str | None:
    if b"\0" in data[:BINARY_SNIFF]:
        notes.append(Note(path, "binary"))
        return None
    if len(data) >= READ_BYTES:  # cut at a line end, not inside a multi-byte character
        data = data[: data.rfind(b"\n") + 1 or len(data)]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(Note(path, "invalid-utf8"))
        return data.decode("utf-8", errors="replace")


def detect(entries: list[FileEntry], reader: Reader) -> Detection:
    """Detect every trait of one repository from its file list and a batch reader."""
    out = Detection(file_count=len(entries))
    files = [e for e in entries if e.kind == "file" and not R.IGNORED.search(e.path)]
    sizes = {e.path: e.size for e in files}
    paths = sorted(sizes)
    # 1. path rules; collect what needs a content probe
    wanted: dict[str, list[_Compiled]] = defaultdict(list)
    for path_rx, rules in BY_PATH:
        matched = [p for p in paths if path_rx.search(p)]
        for rule in rules if matched else ():
            if rule.requires and not _any(rule.requires, paths):
                continue
            if rule.unless and _any(rule.unless, paths):
                continue
            for p in matched:
                if rule.skip and rule.skip.search(p):
                    continue
                if rule.probes or rule.probe_not:
                    wanted[p].append(rule)
                else:
                    out.add(rule.rule.family, rule.rule.value, [p])
    programs = _program_files(paths)
    packages = [p for p in paths if posixpath.basename(p) == "package.json"]
    # 2. one batched read of every probed file, smallest-depth first, bounded
    to_read = sorted(set(wanted) | set(programs) | set(packages), key=lambda p: (p.count("/"), p))
    texts = _read(to_read, sizes, reader, out.notes)
    # 3. content rules
    for p, rules in wanted.items():
        text = texts.get(p)
        if text is None:
            continue
        hit = _Hits(text)  # a regex shared by several rules (the CloudFormation gate) runs once per file
        for rule in rules:
            kb = rule.rule.probe_kb
            if all(hit(rx, kb) for rx in rule.probes) and not (rule.probe_not and hit(rule.probe_not, kb)):
                out.add(rule.rule.family, rule.rule.value, [p])
    for p in programs:
        text = texts.get(p)
        if not text or not _IAC_IMPORT.search(text):
            continue  # application code beside the program (a handler using an AWS SDK) proves nothing
        for family, value, probes in PROGRAM:
            if all(rx.search(text) for rx in probes):
                out.add(family, value, [p])
    _package_managers(packages, set(paths), texts, out)
    _languages(paths, out)
    for (fam, val), (ifam, ival) in R.IMPLIES:
        if (fam, val) in out.traits:
            out.add(ifam, ival, out.traits[(fam, val)])
    # SAM templates are CloudFormation too, but the convention labels them `sam` only.
    return out


class _Hits:
    """Memoised `rx.search(text[:kb KB])` for one file."""

    def __init__(self, text: str) -> None:
        self.text, self.seen = text, {}

    def __call__(self, rx: re.Pattern, kb: int) -> bool:
        key = (rx.pattern, kb)
        if key not in self.seen:
            self.seen[key] = rx.search(self.text[: kb * 1024]) is not None
        return self.seen[key]


def _program_files(paths: list[str]) -> list[str]:
    """Source files of CDK and Pulumi programs (under the directory holding cdk.json/Pulumi.yaml)."""
    roots = sorted({posixpath.dirname(p) for p in paths if _PROGRAM_ROOTS.search(p)})
    found = []
    for p in paths:
        if not _PROGRAM_SOURCE.search(p) or _PROGRAM_SKIP.search(p):
            continue
        if any(root == "" or p.startswith(root + "/") for root in roots):
            found.append(p)
    found.sort(key=lambda p: (not _PROGRAM_FIRST.search(p), p.count("/"), p))
    return found[:MAX_PROGRAM_FILES]


def _read(paths: list[str], sizes: dict[str, int | None], reader: Reader, notes: list[Note]) -> dict[str, str]:
    ok = []
    for p in paths:
        size = sizes.get(p)
        if size is not None and size > MAX_FILE_BYTES:
            notes.append(Note(p, "too-large"))
        elif len(ok) >= MAX_PROBE_FILES:
            notes.append(Note(p, "probe-limit"))
        else:
            ok.append(p)
    texts: dict[str, str] = {}
    if not ok:
        return texts
    for p, data in reader(ok).items():
        if isinstance(data, str):
            notes.append(Note(p, data))
        else:
            text = _text(data, p, notes)
            if text is not None:
                texts[p] = text
    return texts


def _package_managers(packages: list[str], paths: set[str], texts: dict[str, str], out: Detection) -> None:
    """npm owns a package.json unless the nearest lockfile or `packageManager` names another tool."""
    for pkg in packages:
        declared = _PACKAGE_MANAGER.search(texts.get(pkg, "") or "")
        if declared and declared.group(1) != "npm":
            continue
        directory, lock = posixpath.dirname(pkg), None
        while True:
            found = [name for name in _LOCKS if posixpath.join(directory, name) in paths]
            if found:
                lock = found
                break
            if not directory:
                break
            directory = posixpath.dirname(directory)
        if lock is None or "package-lock.json" in lock or "npm-shrinkwrap.json" in lock:
            evidence = [pkg] + [posixpath.join(directory, n) for n in (lock or []) if _LOCKS[n] == "npm"]
            out.add("build_tools", "npm", evidence)


def _languages(paths: list[str], out: Detection) -> None:
    """Primary languages: own source files outside docs/examples/vendored/config, see rules.py."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        ext = posixpath.splitext(p)[1].lower()
        lang = R.EXTENSIONS.get(ext)
        if not lang or _not_language_dir(p) or R.NOT_LANGUAGE_FILES.search(p):
            continue
        if lang == "python" and R.SCRIPT_NAMED.search(p):
            continue
        by_lang[lang].append(p)
    for lang, files in by_lang.items():
        has_manifest = any(_LANG_MANIFESTS[lang].search(p) for p in paths if not R.NOT_LANGUAGE_DIRS.search(p))
        if has_manifest or len(files) >= R.MIN_FILES_WITHOUT_MANIFEST:
            files.sort(key=lambda p: (_is_test(p), p.count("/"), p))
            out.add("languages", lang, files)


def _not_language_dir(path: str) -> bool:
    root = R.JVM_SOURCE_ROOT.search(path)
    return bool(R.NOT_LANGUAGE_DIRS.search(path[: root.end(1)] if root else path))


_TEST = re.compile(r"(^|/)(tests?|__tests__|spec)/|(_test|\.test|\.spec|Test|Tests)\.\w+$|(^|/)test_[^/]+$")


def _is_test(path: str) -> bool:
    return bool(_TEST.search(path))
