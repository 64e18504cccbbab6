"""Where repository content comes from: local working trees, and git URLs through a clone cache.

Remote repositories are mirrored into `cache_dir` as bare, blob-filtered clones
(`--filter=blob:none`; a local bare repository is read in place): commits and trees only, so
listing every path with its size (`git ls-tree -r -l`) costs no file content. The few blobs the content probes need are fetched
in one batch and read with one `git cat-file --batch` process; later runs `git fetch` only what
changed. Nothing is ever checked out. Every git call has a timeout and never prompts.

Credentials in a URL (`https://user:token@host/...`) never reach the clone cache: the cache is keyed
by and cloned from the URL without them, and the user and password reach git through `GIT_ASKPASS`
(a tiny script reading two environment variables of that one git process), with credential helpers
switched off so no helper stores them either. `.git/config`, FETCH_HEAD and the cache's directory
name only ever see the credential-free URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from audit.errors import GitError
from audit.options import GIT_TIMEOUT
from audit.repos.detectors import MAX_FILE_BYTES, READ_BYTES, FileEntry
from audit.urls import split_credentials, strip_credentials

MAX_WALK_FILES = 200_000
READ_CHUNK = 64
MAX_WALK_DEPTH = 64
# Served-side settings a local file:// "server" needs for partial clones (GitHub has them on).
UPLOAD_PACK = "git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack"


@dataclass(frozen=True, repr=False)
class Credentials:
    """A user and password taken out of a URL, for the git commands that talk to its remote."""

    user: str | None
    password: str | None

    def env(self) -> dict[str, str]:
        return {"GIT_ASKPASS": _askpass_script(), "CICD_AUDIT_GIT_USERNAME": self.user or "",
                "CICD_AUDIT_GIT_PASSWORD": self.password or ""}


def url_credentials(url: str) -> tuple[str, Credentials | None]:
    """(the URL git may see and store, the credentials for GIT_ASKPASS or None)."""
    public, user, password = split_credentials(url)
    return public, Credentials(user, password) if user or password else None


_ASKPASS = '#!/bin/sh\ncase "$1" in [Uu]sername*) printf "%s\\n" "$CICD_AUDIT_GIT_USERNAME" ;;\n' \
           '*) printf "%s\\n" "$CICD_AUDIT_GIT_PASSWORD" ;; esac\n'
_askpass_lock = threading.Lock()
_askpass_path: list[str] = []


def _askpass_script() -> str:
    """The GIT_ASKPASS program (written once per process; it holds no secret, it echoes the env)."""
    with _askpass_lock:
        if not _askpass_path:
            folder = tempfile.mkdtemp(prefix="cicd-audit-askpass-")
            path = os.path.join(folder, "askpass.sh")
            with open(path, "w") as fh:
                fh.write(_ASKPASS)
            os.chmod(path, 0o700)
            _askpass_path.append(path)
        return _askpass_path[0]


def git_env(auth: Credentials | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true", LC_ALL="C",
               GIT_SSH_COMMAND=env.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=15"),
               GIT_HTTP_LOW_SPEED_LIMIT="1000", GIT_HTTP_LOW_SPEED_TIME="30")
    if auth is not None:
        env.update(auth.env())
    return env


def git(args: list[str], *, cwd: Path | None = None, input: bytes | None = None,
        timeout: float = GIT_TIMEOUT, check: bool = True, auth: Credentials | None = None) -> subprocess.CompletedProcess:
    """Run git, bounded in time, never prompting; failures become GitError.

    With `auth`, the credentials reach this one command through GIT_ASKPASS and no credential
    helper runs (a configured `store` helper would write them to disk)."""
    helpers = ["-c", "credential.helper="] if auth is not None else []
    try:
        proc = subprocess.run(["git", *helpers, *args], cwd=cwd, input=input, capture_output=True, timeout=timeout,
                              env=git_env(auth), check=False)
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s", "timeout") from exc
    if check and proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        lines = stderr.splitlines()
        fatal = [x for x in lines if x.startswith(("fatal:", "error:"))]
        text = (fatal or lines or [f"exit {proc.returncode}"])[0]
        unreachable = re.search(r"(Could not resolve|unable to access|does not appear to be a git|"
                                r"not found|Connection|could not read|Permission denied|No such)", stderr, re.I)
        raise GitError(f"git {args[0]}: {text}", "unreachable" if unreachable else "other")
    return proc


# ---- local working trees -------------------------------------------------------------------------


def is_work_tree(path: Path) -> bool:
    """True for the top of a work tree (a folder inside another repository is walked instead)."""
    proc = git(["rev-parse", "--is-inside-work-tree", "--show-toplevel"], cwd=path, timeout=30, check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    return (proc.returncode == 0 and len(lines) == 2 and lines[0] == "true"
            and Path(lines[1]).resolve() == Path(path).resolve())


def is_bare_repo(path: Path) -> bool:
    proc = git(["rev-parse", "--is-bare-repository"], cwd=path, timeout=30, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


@dataclass
class LocalTree:
    """A directory on disk: files listed by `git ls-files` when it is a work tree, else a bounded walk."""

    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.git = is_work_tree(self.root)

    def entries(self) -> list[FileEntry]:
        names = self._git_names() if self.git else self._walk_names()
        out = []
        for name in names:
            try:
                st = os.lstat(self.root / name)
            except OSError:
                continue  # deleted in the work tree
            if stat.S_ISDIR(st.st_mode):  # a directory in the index: a submodule's work tree
                out.append(FileEntry(name, None, "submodule"))
            else:
                out.append(FileEntry(name, st.st_size, "symlink" if stat.S_ISLNK(st.st_mode) else "file"))
        return out

    def _git_names(self) -> list[str]:
        proc = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=self.root)
        names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        return sorted({n for n in names if n})

    def _walk_names(self) -> list[str]:
        names: list[str] = []
        base = len(str(self.root)) + 1
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            depth = dirpath[base:].count(os.sep) + 1 if len(dirpath) >= base else 0
            dirnames[:] = [] if depth >= MAX_WALK_DEPTH else [d for d in dirnames if d != ".git"]
            for f in filenames:
                names.append(os.path.join(dirpath, f)[base:].replace(os.sep, "/"))
                if len(names) >= MAX_WALK_FILES:
                    return sorted(names)
        return sorted(names)

    def read(self, paths: list[str]) -> dict[str, bytes | str]:
        out: dict[str, bytes | str] = {}
        for p in paths:
            try:
                # resolved whole: a link anywhere along the path (a file or a directory) may leave the repo
                full = (self.root / p).resolve()
                if not full.is_relative_to(self.root):
                    out[p] = "symlink-outside"
                    continue
                if not full.is_file():
                    out[p] = "unreadable"
                    continue
                if full.stat().st_size > MAX_FILE_BYTES:
                    out[p] = "too-large"
                    continue
                with open(full, "rb") as fh:
                    out[p] = fh.read(READ_BYTES)
            except (OSError, RuntimeError):
                out[p] = "unreadable"
        return out


# ---- git object database (bare clones) ----------------------------------------------------------


@dataclass
class GitTree:
    """One commit of a (bare, possibly blob-filtered) repository, read without a checkout."""

    git_dir: Path
    rev: str
    # `ls-tree -l` needs each blob's header, so in a blob-filtered clone it would fetch every blob
    # one by one: sizes are listed only for complete repositories, and checked after the batched
    # fetch (cat-file --batch-check) otherwise.
    sizes: bool = False
    fresh: bool = False  # a new blob:none clone: every blob is missing, no need to ask which
    auth: Credentials | None = None  # for the blob fetches from an authenticated remote

    def entries(self) -> list[FileEntry]:
        long = ["-l"] if self.sizes else []
        proc = git(["ls-tree", "-r", *long, "-z", "--full-tree", self.rev], cwd=self.git_dir)
        out, self._oids = [], {}
        for rec in proc.stdout.split(b"\0"):
            if not rec:
                continue
            meta, _, name = rec.partition(b"\t")
            mode, kind, oid, *rest = meta.split()
            size = rest[0] if rest else b"-"
            path = name.decode("utf-8", "surrogateescape")
            if kind == b"commit":
                out.append(FileEntry(path, None, "submodule"))
                continue
            self._oids[path] = oid.decode()
            out.append(FileEntry(path, int(size) if size != b"-" else None,
                                 "symlink" if mode == b"120000" else "file"))
        self._modes = {e.path: e.kind for e in out}
        return out

    def read(self, paths: list[str]) -> dict[str, bytes | str]:
        """Fetch the missing blobs in one request, then read them through one cat-file process."""
        if not hasattr(self, "_oids"):
            self.entries()
        out: dict[str, bytes | str] = {}
        wanted = {}
        for p in paths:
            if self._modes.get(p) == "symlink":
                out[p] = "symlink-not-followed"
            elif p in self._oids:
                wanted[p] = self._oids[p]
            else:
                out[p] = "unreadable"
        if not wanted:
            return out
        self._prefetch(set(wanted.values()))
        check = git(["cat-file", "--batch-check"], cwd=self.git_dir,
                    input="".join(f"{oid}\n" for oid in wanted.values()).encode())
        sizes = {}
        for line in check.stdout.decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == "blob":
                sizes[parts[0]] = int(parts[2])
        for p, oid in list(wanted.items()):
            if sizes.get(oid, 0) > MAX_FILE_BYTES:
                out[p] = "too-large"
                del wanted[p]
        if not wanted:
            return out
        items = list(wanted.items())
        for start in range(0, len(items), READ_CHUNK):  # bounded memory: <= READ_CHUNK blobs of <= 1 MB
            chunk = items[start:start + READ_CHUNK]
            request = "".join(f"{oid}\n" for _, oid in chunk).encode()
            blobs = _parse_batch(git(["cat-file", "--batch"], cwd=self.git_dir, input=request).stdout)
            for p, oid in chunk:
                data = blobs.get(oid)
                out[p] = data[:READ_BYTES] if data is not None else "unreadable"
        return out

    def _prefetch(self, oids: set[str]) -> None:
        if self.fresh:
            need = sorted(oids)
        else:
            proc = git(["rev-list", "--objects", "--no-walk", "--missing=print", self.rev], cwd=self.git_dir)
            missing = {line[1:].split()[0] for line in proc.stdout.decode().splitlines() if line.startswith("?")}
            need = sorted(oids & missing)
        if need:
            git(["-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "origin", "--no-tags",
                 "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin"],
                cwd=self.git_dir, input="".join(f"{o}\n" for o in need).encode(), auth=self.auth)


def _parse_batch(data: bytes) -> dict[str, bytes]:
    out, pos = {}, 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        out[header[0].decode()] = data[pos:pos + size]
        pos += size + 1
    return out


def cache_path(cache_dir: Path, url: str) -> Path:
    """The clone's directory: named and hashed from the URL without credentials or query values."""
    url = strip_credentials(url)
    tail = re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))[:60]
    return Path(cache_dir) / f"{tail}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"


def _local_url(url: str) -> bool:
    return url.startswith("file://") or "://" not in url and not re.match(r"^[\w.-]+@[\w.-]+:", url)


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def sync_clone(url: str, cache_dir: Path, *, timeout: float = GIT_TIMEOUT) -> tuple[Path, bool]:
    """Clone `url` into the cache (bare, blob-filtered) or fetch what changed; return (dir, changed).

    Credentials in the URL go to git through GIT_ASKPASS, never into the cache (module docstring)."""
    target = cache_path(cache_dir, url)
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(target.resolve(), threading.Lock())
    with lock:  # two entries with one URL share the clone
        return _sync(url, target, timeout)


def _sync(url: str, target: Path, timeout: float) -> tuple[Path, bool]:
    url, auth = url_credentials(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    extra = ["--upload-pack", UPLOAD_PACK] if _local_url(url) else []
    if (target / "HEAD").exists():
        before = _refs(target)
        git(["config", "remote.origin.url", url], cwd=target)  # a cache an older version wrote with credentials
        git(["fetch", "-q", "--prune", "--force", "origin", "+refs/heads/*:refs/heads/*",
             "+refs/tags/*:refs/tags/*"], cwd=target, timeout=timeout, auth=auth)
        return target, _refs(target) != before
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
    try:
        git(["clone", "-q", "--bare", "--filter=blob:none", *extra, url, str(tmp / "repo.git")], timeout=timeout,
            auth=auth)
        if extra:
            git(["config", "remote.origin.uploadpack", UPLOAD_PACK], cwd=tmp / "repo.git")
        os.rename(tmp / "repo.git", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target, True


def _refs(git_dir: Path) -> bytes:
    return git(["for-each-ref", "--format=%(objectname) %(refname)"], cwd=git_dir).stdout


def resolve_rev(git_dir: Path, branch: str | None) -> tuple[str | None, str | None]:
    """(branch name, commit) to scan: the given branch, else HEAD's; (name, None) when no commits."""
    if branch:
        ref = f"refs/heads/{branch}"
    else:
        proc = git(["symbolic-ref", "-q", "HEAD"], cwd=git_dir, check=False)
        ref = proc.stdout.decode().strip() or "HEAD"
    proc = git(["rev-parse", "-q", "--verify", f"{ref}^{{commit}}"], cwd=git_dir, check=False)
    name = ref.removeprefix("refs/heads/") if ref != "HEAD" else None
    if proc.returncode != 0:
        if branch:
            other = git(["for-each-ref", "--count=1", "--format=%(objectname)", "refs/heads"], cwd=git_dir)
            if other.stdout.strip():
                raise GitError(f"branch {branch!r} not found", "not-found")
        return name, None
    return name, proc.stdout.decode().strip()
