"""Build 7: ``personal-key`` leaves both key files or neither, whatever fails in between."""

from __future__ import annotations

import argparse
import errno
from pathlib import Path

import pytest

from api import signing_commands
from api.errors import ConfigurationError


def run(*argv: str) -> int:
    """Parse ``argv`` as the CLI would and run the offline handler it selects."""
    parser = argparse.ArgumentParser(prog="govledger")
    signing_commands.register(parser.add_subparsers(dest="command", required=True))
    arguments = parser.parse_args(argv)
    status: int = arguments.offline(arguments)
    return status


def test_a_public_key_that_cannot_be_written_leaves_no_private_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(signing_commands, "_write_new_public_file", disk_full)
    key = tmp_path / "alice.key"

    with pytest.raises(
        ConfigurationError, match=r"alice\.key\.pub: No space .* nothing was created"
    ):
        run("personal-key", "--out", str(key))

    assert sorted(tmp_path.iterdir()) == []
