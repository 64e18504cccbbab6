"""Score the repository detector against a labelled corpus (precision/recall per trait family).

    .venv/bin/python bench/detect_accuracy.py /work/shared/corpus
    .venv/bin/python bench/detect_accuracy.py /work/shared/corpus --checkouts /work/corpus-checkouts \
        [--mirrors /work/.mirror] [--baseline-rev main]

Two views of every corpus repository, scored in the same run:

  copied files   rebuilt in a temp dir from tree.txt (every path, empty) with files/ copied over;
                 source code is never copied, so labels proven only by code cannot be found here
  checkouts      the whole repository at its labelled commit: <checkouts>/<owner>+<name>. A missing
                 checkout is written from the bare git directory <mirrors>/<owner>+<name>/repo (as
                 the `fetch` tool leaves it) at the `commit` of labels.yaml; blobs the snapshot lacks
                 (files of 4 MiB and more) are written empty and counted

Each is detected exactly as `cicd-audit scan-path` would. Scoring is on (repo, value) pairs per
family; misses and false alarms are listed per repository. On checkouts the detection time is
measured per repository (best of --repeat passes), and with --baseline-rev the same checkouts are
also scored and timed with the detector of that git revision (its src/ exported to a temp dir and
run in a subprocess), so before/after accuracy and time come from one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from audit.repos.scan import detect_path
from audit.store.schema import TRAIT_FAMILIES as FAMILIES

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_P, TARGET_R = 0.95, 0.95
# Run by the baseline revision's interpreter: detect every directory, best-of-N time each.
_TIMED_DETECT = """
import json, sys, time
from audit.repos.scan import detect_path
dirs, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for d in dirs:
    best = None
    for _ in range(repeat):
        t = time.perf_counter(); found = detect_path(d); t = time.perf_counter() - t
        best = t if best is None else min(best, t)
    out[d] = {"found": found, "seconds": best}
print(json.dumps(out))
"""


def rebuild(corpus_repo: Path, into: Path) -> Path:
    root = into / corpus_repo.name
    for line in (corpus_repo / "tree.txt").read_text().splitlines():
        if not line.strip():
            continue
        target = root / line
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    files = corpus_repo / "files"
    if files.is_dir():
        shutil.copytree(files, root, dirs_exist_ok=True)
    return root


def checkout(git_dir: Path, commit: str, into: Path) -> int:
    """Write the tree of `commit` into `into` (a plain directory); returns blobs absent from the store.

    Not `git archive` (it drops export-ignore paths and stops at the first absent blob) and not a
    work tree (the scanner would list it through the mirror's index).
    """
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", commit],
                             check=True, capture_output=True).stdout.decode("utf-8", "surrogateescape")
    entries = []
    for item in filter(None, listing.split("\0")):
        meta, path = item.split("\t", 1)
        mode, kind, oid = meta.split()
        if kind == "blob":
            entries.append((mode, oid, path))
    batch = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                           input="".join(f"{oid}\n" for _, oid, _ in entries).encode(),
                           check=True, capture_output=True).stdout
    tmp, pos, absent = into.with_name(into.name + ".partial"), 0, 0
    shutil.rmtree(tmp, ignore_errors=True)
    for mode, _oid, path in entries:
        header_end = batch.index(b"\n", pos)
        header = batch[pos:header_end].split()
        pos = header_end + 1
        data = b""
        if header[-1] == b"missing":
            absent += 1
        else:
            size = int(header[2])
            data, pos = batch[pos:pos + size], pos + size + 1
        target = tmp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000" and data:
            os.symlink(data.decode("utf-8", "surrogateescape"), target)
        else:
            target.write_bytes(data)
    os.replace(tmp, into)
    return absent


def checkouts(corpus_repos: list[Path], root: Path, mirrors: Path | None) -> dict[Path, Path]:
    """corpus repo -> its full checkout at the labelled commit (made from the mirror when missing)."""
    out = {}
    root.mkdir(parents=True, exist_ok=True)
    for repo in corpus_repos:
        labels = yaml.safe_load((repo / "labels.yaml").read_text())
        target = root / labels["repo"].replace("/", "+")
        if not target.is_dir():
            git_dir = mirrors / target.name / "repo" if mirrors else None
            if git_dir is None or not git_dir.is_dir():
                sys.exit(f"{target}: no checkout, and no mirror {git_dir} (fetch github:{labels['repo']})")
            absent = checkout(git_dir, labels["commit"], target)
            print(f"checked out {labels['repo']} @ {labels['commit'][:7]} -> {target}"
                  + (f" ({absent} blobs absent from the snapshot, written empty)" if absent else ""))
        out[repo] = target
    return out


def score(results: dict[Path, dict], title: str) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Print the per-family table; return family -> (precision, recall) and the problem lines."""
    tp, fp, fn = Counter(), Counter(), Counter()
    problems = []
    for repo, found in results.items():
        labels = yaml.safe_load((repo / "labels.yaml").read_text())
        for fam in FAMILIES:
            want, got = set(labels.get(fam) or []), set(found[fam])
            tp[fam] += len(want & got)
            fp[fam] += len(got - want)
            fn[fam] += len(want - got)
            for v in sorted(want - got):
                problems.append(f"{repo.name}: MISS {fam}:{v}")
            for v in sorted(got - want):
                ev = found["evidence"].get(f"{fam}:{v}", [])[:3]
                problems.append(f"{repo.name}: FALSE {fam}:{v} <- {ev}")
    print(f"\n{title}: {len(results)} repositories")
    print(f"{'family':16} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    table = {}
    for fam in [*FAMILIES, "overall"]:
        t = sum(tp.values()) if fam == "overall" else tp[fam]
        f = sum(fp.values()) if fam == "overall" else fp[fam]
        n = sum(fn.values()) if fam == "overall" else fn[fam]
        table[fam] = (t / (t + f) if t + f else 1.0, t / (t + n) if t + n else 1.0)
        print(f"{fam:16} {table[fam][0]:9.3f} {table[fam][1]:7.3f} {t:4} {f:4} {n:4}")
    print("per-repository misses and false alarms:" if problems else "no misses")
    for line in problems:
        print("  " + line)
    return table, problems


def met(table: dict[str, tuple[float, float]]) -> bool:
    return all(p >= TARGET_P and r >= TARGET_R for p, r in table.values())


def timed(dirs: list[Path], repeat: int) -> dict[Path, tuple[dict, float]]:
    out = {}
    for d in dirs:
        best = None
        for _ in range(repeat):
            t = time.perf_counter()
            found = detect_path(d)
            t = time.perf_counter() - t
            best = t if best is None else min(best, t)
        out[d] = (found, best)
    return out


def timed_at(rev: str, dirs: list[Path], repeat: int) -> dict[Path, tuple[dict, float]]:
    """The same as timed(), with the detector of git revision `rev` of this project."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", rev, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        proc = subprocess.run([sys.executable, "-c", _TIMED_DETECT, json.dumps([str(d) for d in dirs]),
                               str(repeat)], check=True, capture_output=True, text=True, env=env, cwd=tmp)
    data = json.loads(proc.stdout)
    return {d: (data[str(d)]["found"], data[str(d)]["seconds"]) for d in dirs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path, nargs="?", default=Path("../shared/corpus"))
    ap.add_argument("--checkouts", type=Path, help="directory of <owner>+<name> checkouts at the labelled commits")
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                    help="bare git dirs <owner>+<name>/repo to make missing checkouts from")
    ap.add_argument("--baseline-rev", help="also score and time the detector of this git revision")
    ap.add_argument("--repeat", type=int, default=3, help="timing passes per checkout (best is kept)")
    args = ap.parse_args(argv)
    repos = sorted(p for p in args.corpus.iterdir() if (p / "labels.yaml").exists())
    print(f"{len(repos)} labelled repositories in {args.corpus}")
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        copied, _ = score({r: detect_path(rebuild(r, Path(tmp))) for r in repos}, "copied files (tree.txt + files/)")
    verdicts.append(("copied files", met(copied)))
    if args.checkouts:
        where = checkouts(repos, args.checkouts, args.mirrors)
        dirs = [where[r] for r in repos]
        if args.baseline_rev:
            before = timed_at(args.baseline_rev, dirs, args.repeat)
            score({r: before[where[r]][0] for r in repos}, f"full checkouts, detector at {args.baseline_rev}")
        after = timed(dirs, args.repeat)
        full, _ = score({r: after[where[r]][0] for r in repos}, "full checkouts, this detector")
        verdicts.append(("full checkouts", met(full)))
        print(f"\ndetection time per checkout (best of {args.repeat}, seconds):")
        print(f"{'repository':58} {'files':>6} {'before':>8} {'after':>8}" if args.baseline_rev else
              f"{'repository':58} {'files':>6} {'time':>8}")
        for r in repos:
            files = sum(len(f) for _, _, f in os.walk(where[r]))
            line = f"{where[r].name:58} {files:6}"
            line += f" {before[where[r]][1]:8.3f}" if args.baseline_rev else ""
            print(f"{line} {after[where[r]][1]:8.3f}")
        total = sum(after[d][1] for d in dirs)
        if args.baseline_rev:
            base = sum(before[d][1] for d in dirs)
            print(f"{'total':65} {base:8.3f} {total:8.3f}   after/before = {total / base:.2f}x")
        else:
            print(f"{'total':65} {total:8.3f}")
    for name, ok in verdicts:
        print(f"targets (precision >= {TARGET_P}, recall >= {TARGET_R} in every family) on {name}: "
              f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
