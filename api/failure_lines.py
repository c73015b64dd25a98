"""The one line the CLI prints for an operating-system or database failure, saying what to fix.

The CLI maps exceptions to exit statuses (``api.cli``); this module words the two kinds that do
not carry an operator-facing message of their own: an ``OSError`` (a path that is missing, of
the wrong kind, or closed to the user) and the event-sourcing library's ``PersistenceError``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from eventsourcing.persistence import PersistenceError

__all__ = ["database_error_line", "os_error_line"]


def os_error_line(error: OSError) -> str:
    """One line naming the path of ``error``, what went wrong, and what to check.

    For a permission error it names the first folder on the way that the user cannot read or
    search, since that folder (not the file inside it) is what needs its permissions fixed.
    """
    what = error.strerror or type(error).__name__
    if error.filename is None:
        return f"operating-system error: {what}"
    path = Path(os.fsdecode(error.filename))
    if isinstance(error, PermissionError):
        folder = _first_closed_folder(path)
        if folder is not None:
            return (
                f"cannot open folder {folder}: {what} (needed for {path}); let the user running "
                "govledger read and search it (e.g. chmod 700, owned by that user)"
            )
    if isinstance(error, NotADirectoryError):
        blocker = _first_non_folder(path)
        if blocker is not None:
            return (
                f"{blocker} is a file where a folder is expected (for {path}): move it away, "
                "or fix GOVLEDGER_HOME or the path given"
            )
    return (
        f"cannot use {path}: {what}; check that it exists, is a file or folder as expected, and "
        "that the user running govledger may read and write it"
    )


def database_error_line(error: PersistenceError) -> str:
    """One line for a database failure the ledger did not word itself, with advice per engine."""
    if isinstance(error.__cause__, sqlite3.Error):
        advice = (
            "check that the user running govledger may read and write the SQLite file named by "
            "GOVLEDGER_DATABASE_URL (or --db) and its folder"
        )
    else:
        advice = "check the database is up and GOVLEDGER_DATABASE_URL (or --db)"
    return f"database error ({type(error).__name__}: {error}); {advice}"


def _first_closed_folder(path: Path) -> Path | None:
    """The outermost folder of ``path`` (or ``path`` itself) this process cannot list or enter."""
    absolute = path.absolute()
    for folder in [*reversed(absolute.parents), absolute]:
        try:
            if folder.is_dir() and not os.access(folder, os.R_OK | os.X_OK):
                return folder
        except OSError:
            return None  # cannot look further: name the path itself
    return None


def _first_non_folder(path: Path) -> Path | None:
    """The outermost existing component of ``path``'s folders that is not a folder."""
    for folder in reversed(path.absolute().parents):
        if folder.exists() and not folder.is_dir():
            return folder
    return None
