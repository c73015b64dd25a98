"""When the PostgreSQL tests run (tests/conftest.py): a probe test run by pytest in a subprocess.

Build 8: they run whenever the server at GOVLEDGER_TEST_POSTGRES_URL, or by default at the local
address, accepts a login; otherwise they skip with one line, or fail under CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import DEFAULT_POSTGRES_URL, POSTGRES_URL_VARIABLE

REPOSITORY = Path(__file__).resolve().parents[2]
# The server answers on its port, but this role does not exist: the port alone is no proof.
NO_SUCH_ROLE_URL = "postgresql://govledger_no_such_role@127.0.0.1:5432/postgres"
PROBE = """
def test_needs_postgres(postgres_admin_url: str) -> None:
    assert postgres_admin_url
"""


def run_probe(tmp_path: Path, *, url: str | None, ci: bool) -> subprocess.CompletedProcess[str]:
    """Run one PostgreSQL test with the project's conftest as a plugin; url None: unset."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in (POSTGRES_URL_VARIABLE, "CI")}
    if url is not None:
        env[POSTGRES_URL_VARIABLE] = url
    if ci:
        env["CI"] = "1"
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-c", "pyproject.toml", "--rootdir", "."),
            *("-p", "tests.conftest", "-p", "no:cacheprovider", "-q", str(probe)),
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def skip_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("PostgreSQL tests skipped")]


def test_without_a_login_the_postgres_tests_skip_with_one_line_saying_why(tmp_path: Path) -> None:
    """Build 8: a server that answers but refuses the login skips them, in one line."""
    completed = run_probe(tmp_path, url=NO_SUCH_ROLE_URL, ci=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 skipped" in completed.stdout
    [line] = skip_lines(completed.stdout)
    assert "cannot log in to postgresql://govledger_no_such_role@127.0.0.1:5432/postgres" in line
    assert POSTGRES_URL_VARIABLE in line


def test_without_a_login_the_postgres_tests_fail_under_ci(tmp_path: Path) -> None:
    """Build 8: CI never passes with the PostgreSQL tests skipped."""
    completed = run_probe(tmp_path, url=NO_SUCH_ROLE_URL, ci=True)

    assert completed.returncode != 0
    assert "CI needs PostgreSQL: cannot log in" in completed.stdout
    assert skip_lines(completed.stdout) == []


def test_the_password_of_the_url_is_never_shown(tmp_path: Path) -> None:
    url = NO_SUCH_ROLE_URL.replace("_role@", "_role:hunter2@")

    completed = run_probe(tmp_path, url=url, ci=False)

    assert "hunter2" not in completed.stdout + completed.stderr
    assert len(skip_lines(completed.stdout)) == 1


def test_with_the_variable_unset_they_run_on_the_local_default_when_it_accepts_a_login(
    tmp_path: Path,
) -> None:
    """Build 8: `make test` runs them whenever the default local server lets the tests in."""
    try:
        psycopg.connect(DEFAULT_POSTGRES_URL, connect_timeout=5).close()
    except psycopg.Error:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a server that accepts a login at {DEFAULT_POSTGRES_URL}")
        pytest.skip(f"no server accepts a login at {DEFAULT_POSTGRES_URL}")

    completed = run_probe(tmp_path, url=None, ci=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 passed" in completed.stdout
    assert skip_lines(completed.stdout) == []
