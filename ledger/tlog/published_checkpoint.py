"""The published copy of the latest checkpoint, kept outside the database.

A database restored from an older backup also restores an older checkpoint table; the copy
here (and the copies auditors keep) still shows the larger tree that was signed, so the
rollback is caught. Publishing holds an exclusive lock on ``checkpoint.lock`` beside the file,
reads what is published and never replaces a larger tree with a smaller one, nor a tree with
another of the same size; the replacement is atomic and durable (``ledger.durable_files``).
The folder is 0700 and the note 0644, whatever the umask. Whether the published checkpoint is
consistent with the log is the checkpointer's check, made before it signs.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.durable_files import PRIVATE_FILE, PUBLIC_FILE, make_private_directory, write_atomically
from ledger.errors import InconsistentLogError, StoreError, VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.note import SignedNote

__all__ = ["CheckpointFile"]


class CheckpointFile:
    """One signed checkpoint note in a file, replaced atomically and only by a larger tree."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_home(cls, home: Path) -> CheckpointFile:
        """The published checkpoint under ``GOVLEDGER_HOME``: ``log/checkpoint.txt``."""
        return cls(home / "log" / "checkpoint.txt")

    def read(self) -> str | None:
        """The published note, or None when nothing was published yet."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read published checkpoint {self.path}: {exc}") from None

    def write(self, note: str) -> bool:
        """Publish ``note`` unless a larger tree is published already; True when published.

        Raises InconsistentLogError when a different tree of the same size is published, and
        StoreError when the file cannot be written.
        """
        size, root = _tree_of(note)
        try:
            make_private_directory(self.path.parent)
            with self._locked():
                published = _published_tree(self.read())
                if published is not None and published[0] > size:
                    return False
                if published is not None and published[0] == size and published[1] != root:
                    raise InconsistentLogError(
                        f"published checkpoint {size} has another root than the one signed now"
                    )
                write_atomically(self.path, note.encode("utf-8"), mode=PUBLIC_FILE)
        except OSError as exc:
            raise StoreError(f"cannot publish checkpoint to {self.path}: {exc.strerror}") from None
        return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock among publishers of this file, on a separate, never-replaced file."""
        lock = self.path.with_name(self.path.stem + ".lock")
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            os.fchmod(descriptor, PRIVATE_FILE)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock


def _tree_of(note: str) -> tuple[int, bytes]:
    """The size and root a checkpoint note names (its signatures are the checkpointer's check)."""
    checkpoint = Checkpoint.from_text(SignedNote.from_text(note).text)
    return checkpoint.size, checkpoint.root


def _published_tree(note: str | None) -> tuple[int, bytes] | None:
    """The tree of the published note; None when there is none or it is unreadable.

    An unreadable published file is replaced: the checkpointer already reported it.
    """
    try:
        return None if note is None else _tree_of(note)
    except VerificationError:
        return None
