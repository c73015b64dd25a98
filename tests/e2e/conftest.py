"""Running the installed ``govledger`` command as a user does: a subprocess in its own directory.

The environment is built explicitly (the caller's ``GOVLEDGER_*`` variables are dropped), so a
developer's shell never changes what a test sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

GOVLEDGER = Path(sys.executable).parent / "govledger"
_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Outcome:
    """What one run of the command printed and returned."""

    args: tuple[str, ...]
    status: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"govledger {' '.join(self.args)} -> exit {self.status}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


@dataclass(frozen=True)
class Cli:
    """The ``govledger`` command with one user's settings: working directory, home, database."""

    cwd: Path
    home: Path
    database_url: str | None = None
    passphrase: str | None = None

    def with_passphrase(self, passphrase: str | None) -> Cli:
        """The same user, typing a different ``GOVLEDGER_KEY_PASSPHRASE`` (None: unset)."""
        return replace(self, passphrase=passphrase)

    def environment(self) -> dict[str, str]:
        """os.environ without any GOVLEDGER_* variable, plus this user's settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVLEDGER_")}
        env["GOVLEDGER_HOME"] = str(self.home)
        if self.database_url is not None:
            env["GOVLEDGER_DATABASE_URL"] = self.database_url
        if self.passphrase is not None:
            env["GOVLEDGER_KEY_PASSPHRASE"] = self.passphrase
        return env

    def run(self, *args: str) -> Outcome:
        """Run ``govledger ARGS`` and capture its output."""
        completed = subprocess.run(
            [str(GOVLEDGER), *args],
            cwd=self.cwd,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
        return Outcome(args, completed.returncode, completed.stdout, completed.stderr)

    def ok(self, *args: str) -> Outcome:
        """Run ``govledger ARGS`` and insist it succeeded quietly."""
        outcome = self.run(*args)
        assert outcome.status == 0, outcome
        assert outcome.stderr == "", outcome
        return outcome


def assert_one_line_error(outcome: Outcome, *fragments: str, status: int = 2) -> str:
    """Assert a clean failure: ``status``, one ``govledger: error:`` line naming ``fragments``."""
    assert outcome.status == status, outcome
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome
    assert lines[0].startswith("govledger: error: "), outcome
    for fragment in fragments:
        assert fragment in lines[0], outcome
    return lines[0]
