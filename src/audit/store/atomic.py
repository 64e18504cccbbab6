"""Publishing a directory atomically: the filesystem primitives the snapshot store and the report share.

A writer builds its output in a temporary directory beside the final one (`.tmp-<name>-*`), then
`swap_in` makes it visible in one step: an atomic exchange (Linux renameat2 RENAME_EXCHANGE) when
it replaces an existing directory, so a reader sees the old or the new one and never neither; the
old one is then removed. Where the OS cannot exchange, the old directory is renamed aside
(`.old-<name>-*`) first, and a writer killed between the two renames leaves it there: `recover`,
called by the next writer under the lock, brings it back. `clean_stale` removes what killed
writers left behind once it is older than a day.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STALE_AFTER = 24 * 3600.0  # seconds: a temporary directory this old belongs to no running writer
TMP_PREFIX, OLD_PREFIX = ".tmp-", ".old-"

_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def fsync_dir(path: Path) -> None:
    """Make the directory's entries (a rename into it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    libc = _libc()
    if libc is None:
        return False
    if libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # filesystem or kernel without exchange
        return False
    raise OSError(err, os.strerror(err), str(a))


@functools.cache
def _libc() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return libc
    except (OSError, AttributeError):
        return None


@contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (released when the process dies, too)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def swap_in(staging: Path, final: Path) -> None:
    """Make `staging` visible as `final`, replacing any existing `final`; call it under `exclusive`.

    One atomic exchange where the OS offers it; elsewhere the old one is renamed aside first, and a
    crash between the two renames leaves it as `.old-<name>-*`, which `recover` restores.
    """
    fsync_dir(staging)
    if final.exists() and exchange(staging, final):
        fsync_dir(final.parent)
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old directory
        return
    old = None
    if final.exists():
        old = final.with_name(f"{OLD_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}")
        os.rename(final, old)
    os.rename(staging, final)
    fsync_dir(final.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover(final: Path, marker: str | None = None) -> None:
    """Bring back a directory moved aside by a writer that died between its two renames.

    `marker` names a file a whole directory has (a snapshot's manifest), so a half-deleted
    leftover is never restored. Call it under `exclusive`, before writing."""
    if final.exists():
        return
    aside = [p for p in sorted(final.parent.glob(f"{OLD_PREFIX}{final.name}-*"))
             if p.is_dir() and (marker is None or (p / marker).exists())]
    if aside:
        newest = max(aside, key=lambda p: p.stat().st_mtime)
        os.rename(newest, final)
        fsync_dir(final.parent)


def clean_stale(directory: Path, *, older_than: float = STALE_AFTER, now: float | None = None) -> list[Path]:
    """Remove `.tmp-*` and `.old-*` directories older than `older_than` seconds that killed writers left.

    An `.old-<name>-*` whose `<name>` is missing is the only copy: it is kept for `recover`.
    Call it under `exclusive`, after `recover`. Returns what was removed."""
    cutoff = (time.time() if now is None else now) - older_than
    removed = []
    for path in sorted(directory.iterdir()) if directory.is_dir() else []:
        if not path.is_dir() or path.is_symlink() or not path.name.startswith((TMP_PREFIX, OLD_PREFIX)):
            continue
        if path.name.startswith(OLD_PREFIX):
            name = path.name[len(OLD_PREFIX):].rpartition("-")[0]
            if not (directory / name).exists():
                continue
        try:
            if path.stat().st_mtime >= cutoff:
                continue
        except FileNotFoundError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
