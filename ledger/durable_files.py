"""Files that must survive a crash and keep their permissions whatever the umask.

A file is written to a uniquely named temporary file in its folder (so concurrent writers never
collide), given its mode explicitly, fsynced, renamed over the target and the folder fsynced, so
after a crash the target holds either the old or the new content, never a torn or empty one.
Folders are created 0700, and an existing one that group or others may write is tightened.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import suppress
from pathlib import Path

__all__ = [
    "PRIVATE_DIRECTORY",
    "PRIVATE_FILE",
    "PUBLIC_FILE",
    "fsync_directory",
    "make_private_directory",
    "write_atomically",
]

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
PUBLIC_FILE = 0o644


def make_private_directory(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700; tighten it if group or others may write.

    Raises OSError when the folder cannot be created or changed.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        with suppress(FileExistsError):  # another process created it first
            folder.mkdir(mode=PRIVATE_DIRECTORY)
            os.chmod(folder, PRIVATE_DIRECTORY)  # mkdir's mode is filtered by the umask
    if stat.S_IMODE(path.stat().st_mode) & 0o022:
        os.chmod(path, PRIVATE_DIRECTORY)


def write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Replace ``path`` with ``data`` durably and atomically, with exactly ``mode``.

    Raises OSError; a failure leaves ``path`` as it was and no temporary file behind.
    """
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def fsync_directory(path: Path) -> None:
    """Make the names in folder ``path`` durable (a rename is durable once its folder is synced)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
