"""Finding 15: the built wheel carries the migrations and data, so a non-editable install works.

The test builds the wheel from a copy of the source tree, installs it (without dependencies)
into a fresh virtual environment, lends that environment the dependencies already installed in
the test's own environment (a ``.pth`` line naming its site-packages, which adds the folder
without running the editable install's hook there), and runs ``govledger init``, ``demo`` and
``verify`` from a folder outside the source tree. Building uses pip's isolated build, whose
setuptools comes from the configured package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from api import migrations

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "api" / "migrations" / "versions"
_TIMEOUT_SECONDS = 300
_NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "*.egg-info",
    "build",
    "dist",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".govledger",
    "bench",
    "tests",
)


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``command``; fail the test with its output unless it exits 0."""
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{' '.join(map(str, command))} -> exit {completed.returncode}\n"
        f"--- stdout\n{completed.stdout}--- stderr\n{completed.stderr}"
    )
    return completed.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the source tree, once for this module."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path, source,
        cwd=tmp_path)  # fmt: skip
    (wheel,) = tmp_path.glob("govledger-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """Install ``wheel`` alone into a new environment at ``venv``; return its python."""
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                  cwd=venv.parent).strip()  # fmt: skip
    lent = sysconfig.get_paths()["purelib"]
    Path(purelib, "lent_dependencies.pth").write_text(lent + "\n", encoding="utf-8")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed",
        "--no-index", wheel, cwd=venv.parent)  # fmt: skip
    return python


def test_finding_15_the_wheel_carries_the_migrations(wheel: Path) -> None:
    """Finding 15: no migration was packaged, so an installed govledger could not `init`."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

    assert {
        "api/migrations/env.py",
        "api/migrations/script.py.mako",
        *(f"api/migrations/versions/{path.name}" for path in VERSIONS.glob("0*.py")),
        "domain/rules/policy.schema.json",
        "adapters/training/training_spec.schema.json",
        "adapters/datasets/german_credit_readable.csv",
    } <= names
    assert any(name.startswith("adapters/datasets/") and name.endswith(".csv") for name in names)


def test_finding_15_an_installed_wheel_runs_init_demo_and_verify(
    wheel: Path, tmp_path: Path
) -> None:
    """Finding 15: from a non-editable install, outside the source tree, every step exits 0."""
    python = install(wheel, tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVLEDGER_", "PYTHON"))}
    env |= {
        "GOVLEDGER_HOME": str(elsewhere / "home"),
        "GOVLEDGER_DATABASE_URL": f"sqlite:///{elsewhere / 'ledger.db'}",
    }
    where = run(python, "-c", "import api.migrations; print(api.migrations.__file__)",
                cwd=elsewhere, env=env)  # fmt: skip
    assert where.startswith(str(tmp_path / "venv")), where
    govledger = tmp_path / "venv" / "bin" / "govledger"

    init = run(govledger, "init", cwd=elsewhere, env=env)
    # The whole governed lifecycle: training specs, data and schemas come from the package.
    run(govledger, "demo", cwd=elsewhere, env=env)
    verify = run(govledger, "verify", cwd=elsewhere, env=env)

    assert f"is at schema {migrations.head_revision()}" in init, init
    assert verify.startswith("ledger intact:"), verify
