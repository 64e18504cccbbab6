"""Benchmark: `scan_repos` (bare blob-filtered clone cache) vs a naive scanner, cold and warm.

    .venv/bin/python bench/scan.py [--repos 300] [--files 2000] [--workers 4]

Generates N repositories of ~F files each once (git fast-import; cached under bench/out/, which
is git-ignored), serves them as file:// URLs, then measures in the same run:

  naive   full `git clone` + os.walk reading every file, same detector on the read content
  cold    scan_repos with an empty clone cache
  warm    scan_repos again, nothing changed (fetch finds nothing; cached detections reused)

and prints times and ratios (targets: >= 5x cold, >= 20x warm). The naive scanner keeps no state,
so its one measured pass is the baseline for both ratios. Results of naive and ours are compared.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audit.config import RepoEntry, ReposConfig
from audit.options import ScanOptions
from audit.repos.detectors import FileEntry, detect
from audit.repos.scan import scan_repos
from audit.store.snapshots import open_snapshot

OUT = Path(__file__).resolve().parent / "out" / "scan"
KINDS = {
    "node-ecs": {"package.json": '{"name": "web", "scripts": {"build": "tsc"}}\n', "package-lock.json": "{}\n",
                 "Dockerfile": "FROM node:20\nCOPY . .\nRUN npm ci\n",
                 ".github/workflows/deploy.yml": "on: push\njobs:\n  d:\n    steps:\n      - run: docker build .\n"
                                                 "      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1\n"},
    "python-sam": {"requirements.txt": "boto3\n", "template.yaml": "AWSTemplateFormatVersion: '2010-09-09'\n"
                   "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n",
                   "buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands: [sam build]\n"},
    "java-codedeploy": {"pom.xml": "<project/>\n", "appspec.yml": "version: 0.0\nos: linux\n",
                        "Jenkinsfile": "pipeline { agent any }\n"},
    "go-k8s": {"go.mod": "module x\n", "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
               ".gitlab-ci.yml": "build:\n  script: [go build]\n", "Dockerfile": "FROM golang\n"},
    "terraform": {"infra/main.tf": 'resource "aws_lambda_function" "f" {}\n', "Makefile": "plan:\n"},
}
EXT = {"node-ecs": ".ts", "python-sam": ".py", "java-codedeploy": ".java", "go-k8s": ".go", "terraform": ".py"}


def _source(rng: random.Random, i: int) -> bytes:
    words = ["value", "result", "config", "client", "handler", "item", "record", "total", "index", "name"]
    lines = [f"# module {i}"] + [f"{rng.choice(words)}_{rng.randrange(999)} = {rng.randrange(10**6)}"
                                 for _ in range(rng.randrange(20, 80))]
    return ("\n".join(lines) + "\n").encode()


def _stream(index: int, files: int) -> bytes:
    """A fast-import stream: one big initial commit, a small change, a release tag."""
    rng = random.Random(index)
    kind = list(KINDS)[index % len(KINDS)]
    tree: dict[str, bytes] = {p: c.encode() for p, c in KINDS[kind].items()}
    tree["README.md"] = f"# service {index}\n".encode()
    tree["data/seed.csv"] = b"".join(f"{n},{rng.randrange(10**9)},row\n".encode() for n in range(60_000))
    for n in range(20):
        tree[f"assets/img{n}.png"] = b"\x89PNG\r\n\x1a\n\0" + rng.randbytes(4000)
    for n in range(60):
        tree[f"docs/page{n}.md"] = f"# page {n}\n\n".encode() + _source(rng, n)
    n = 0
    while len(tree) < files:
        tree[f"src/pkg{n // 40}/mod{n % 40}{EXT[kind]}"] = _source(rng, n)
        n += 1
    out = []
    for mark, (_path, data) in enumerate(sorted(tree.items()), 1):
        out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
    marks = {p: m for m, p in enumerate(sorted(tree), 1)}
    when = 1767225600 + index * 3600  # 2026-01-01

    def commit(ref_mark: int, msg: bytes, body: list[bytes], t: int, parent: int | None) -> bytes:
        head = b"commit refs/heads/main\nmark :%d\nauthor Dev <dev%d@example.com> %d +0000\n" % (
            ref_mark, index % 7, t) + b"committer Dev <dev@example.com> %d +0000\ndata %d\n%s\n" % (
            t, len(msg), msg)
        return head + (b"from :%d\n" % parent if parent else b"") + b"".join(body) + b"\n"

    first = len(marks) + 1
    out.append(commit(first, b"initial", [b"M 100644 :%d %s\n" % (m, p.encode()) for p, m in marks.items()],
                      when, None))
    change = _source(rng, 99999)
    out.append(commit(first + 1, b"change", [b"M 100644 inline src/changed.txt\ndata %d\n%s\n" % (
        len(change), change)], when + 86400, first))
    out.append(b"tag v1.0.0\nfrom :%d\ntagger Dev <dev@example.com> %d +0000\ndata 7\nrelease\n" % (
        first + 1, when + 86400))
    return b"".join(out)


def generate(count: int, files: int) -> list[Path]:
    root = OUT / f"repos-{files}"
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    t0 = time.monotonic()
    made = 0
    for i in range(count):
        repo = root / f"svc{i:04d}.git"
        paths.append(repo)
        if (repo / "done").exists():
            continue
        shutil.rmtree(repo, ignore_errors=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=_stream(i, files), check=True)
        subprocess.run(["git", "repack", "-adq"], cwd=repo, check=True)
        (repo / "done").write_text("ok")
        made += 1
    if made:
        print(f"generated {made} repositories in {time.monotonic() - t0:.1f}s (cached in {root})")
    return paths


def naive_one(url: str) -> dict:
    """Full clone with checkout, walk and read every file, then the same rules on that content."""
    with tempfile.TemporaryDirectory(prefix="naive-") as tmp:
        subprocess.run(["git", "clone", "-q", url, f"{tmp}/w"], check=True)
        content: dict[str, bytes] = {}
        base = len(f"{tmp}/w") + 1
        for dirpath, dirnames, filenames in os.walk(f"{tmp}/w"):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for f in filenames:
                full = os.path.join(dirpath, f)
                with open(full, "rb") as fh:
                    content[full[base:]] = fh.read()
        entries = [FileEntry(p, len(c)) for p, c in content.items()]
        found = detect(entries, lambda paths: {p: content[p] for p in paths})
        return {k: v for k, v in found.traits.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", type=int, default=300)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    repos = generate(args.repos, args.files)
    urls = [f"file://{p}" for p in repos]
    config = ReposConfig(workers=args.workers, repositories=[
        RepoEntry(name=p.name.removesuffix(".git"), team="bench", url=u) for p, u in zip(repos, urls, strict=True)])
    cache = OUT / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bench-inv-") as inv:
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.workers) as pool:
            naive = list(pool.map(naive_one, urls))
        t_naive = time.monotonic() - t0
        t0 = time.monotonic()
        cold = scan_repos(config, Path(inv), ScanOptions(day="2026-03-02", cache_dir=cache, progress=False))
        t_cold = time.monotonic() - t0
        t0 = time.monotonic()
        warm = scan_repos(config, Path(inv), ScanOptions(day="2026-03-02", cache_dir=cache, progress=False))
        t_warm = time.monotonic() - t0
        traits = open_snapshot(warm.snapshot_dir).table("repo_traits")
    ours = {}
    for row in traits.itertuples():
        ours.setdefault(row.repo, set()).add((row.family, row.value))
    same = sum(ours.get(p.name.removesuffix(".git"), set()) == set(n) for p, n in zip(repos, naive, strict=True))
    print(f"{args.repos} repositories x ~{args.files} files, {args.workers} workers "
          f"(ok cold/warm: {cold.repos_ok}/{warm.repos_ok}; traits equal to naive: {same}/{len(repos)})")
    print(f"  naive (full clone + read every file): {t_naive:8.2f}s")
    print(f"  ours cold (empty cache):              {t_cold:8.2f}s   {t_naive / t_cold:6.1f}x faster (target 5x)")
    print(f"  ours warm (nothing changed):          {t_warm:8.2f}s   {t_naive / t_warm:6.1f}x faster (target 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
