"""Finding 13: the one line the CLI prints for an operating-system error names what to fix."""

from __future__ import annotations

import errno
from pathlib import Path

from api.failure_lines import os_error_line


def test_a_file_where_a_folder_belongs_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("not a folder\n")
    wanted = tmp_path / "keys" / "public" / "log.pem"
    error = NotADirectoryError(errno.ENOTDIR, "Not a directory", str(wanted))

    line = os_error_line(error)

    assert line.startswith(f"{tmp_path / 'keys'} is a file where a folder is expected"), line
    assert str(wanted) in line


def test_a_missing_file_is_named_with_the_reason(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    error = FileNotFoundError(errno.ENOENT, "No such file or directory", str(missing))

    line = os_error_line(error)

    assert line.startswith(f"cannot use {missing}: No such file or directory;"), line


def test_an_error_naming_no_file_still_says_what_happened() -> None:
    line = os_error_line(BrokenPipeError(errno.EPIPE, "Broken pipe"))

    assert line == "operating-system error: Broken pipe"
