"""The published copy of the latest checkpoint, kept outside the database.

A database restored from an older backup also restores an older checkpoint table; the copy
here (and the copies auditors keep) still shows the larger tree that was signed, so the
rollback is caught.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.errors import StoreError

__all__ = ["CheckpointFile"]


class CheckpointFile:
    """One signed checkpoint note in a file, replaced atomically."""

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
        except OSError as exc:
            raise StoreError(
                f"cannot read published checkpoint {self.path}: {exc.strerror}"
            ) from None

    def write(self, note: str) -> None:
        """Publish ``note``, replacing the previous one."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(note, encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            raise StoreError(f"cannot publish checkpoint to {self.path}: {exc.strerror}") from None
