"""Score the repository detector against a labelled corpus (precision/recall per trait family).

    .venv/bin/python bench/detect_accuracy.py /work/shared/corpus

Each corpus repository is rebuilt in a temp dir from tree.txt (every path, empty) with files/
copied over, then detected exactly as `cicd-audit scan-path` would. Scoring is on (repo, value)
pairs per family; misses and false alarms are listed per repository.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from audit.repos.scan import detect_path
from audit.store.schema import TRAIT_FAMILIES as FAMILIES


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


def main(corpus: Path) -> int:
    tp, fp, fn = Counter(), Counter(), Counter()
    problems = []
    repos = sorted(p for p in corpus.iterdir() if (p / "labels.yaml").exists())
    with tempfile.TemporaryDirectory() as tmp:
        for repo in repos:
            labels = yaml.safe_load((repo / "labels.yaml").read_text())
            found = detect_path(rebuild(repo, Path(tmp)))
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
    print(f"{len(repos)} repositories from {corpus}\n")
    print(f"{'family':16} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    ok = True
    for fam in [*FAMILIES, "overall"]:
        t = sum(tp.values()) if fam == "overall" else tp[fam]
        f = sum(fp.values()) if fam == "overall" else fp[fam]
        n = sum(fn.values()) if fam == "overall" else fn[fam]
        precision = t / (t + f) if t + f else 1.0
        recall = t / (t + n) if t + n else 1.0
        ok &= precision >= 0.95 and recall >= 0.90
        print(f"{fam:16} {precision:9.3f} {recall:7.3f} {t:4} {f:4} {n:4}")
    print("\nper-repository misses and false alarms:" if problems else "\nno misses")
    for line in problems:
        print("  " + line)
    print(f"\ntargets (precision >= 0.95, recall >= 0.90 in every family): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus")))
