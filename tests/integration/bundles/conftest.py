"""One demo ledger (real training, scoring, explaining; SQLite) and the evidence of the
``credit-risk`` bundle gathered from it, shared by the bundle tests of this folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.composition import Ledger, open_ledger
from api.exports.assemble import Evidence, gather
from api.exports.context import BundleContext
from api.settings import Settings
from tests.e2e.conftest import Cli

MODEL = "credit-risk"


@pytest.fixture(scope="session")
def demo_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A home where `govledger demo` ran, its read side projected and its log checkpointed."""
    folder = tmp_path_factory.mktemp("bundle-demo")
    cli = Cli(cwd=folder, home=folder / "home", database_url=f"sqlite:///{folder / 'ledger.db'}")
    cli.ok("init")
    assert cli.run("demo").status == 0
    cli.ok("project")
    cli.ok("checkpoint")
    return cli


@pytest.fixture(scope="session")
def demo_ledger(demo_cli: Cli) -> Iterator[Ledger]:
    assert demo_cli.database_url is not None
    opened = open_ledger(Settings(database_url=demo_cli.database_url, home=demo_cli.home))
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_evidence(demo_ledger: Ledger) -> Evidence:
    """The evidence of the demo's credit-risk bundle, all versions, at the latest checkpoint."""
    return gather(demo_ledger, MODEL, None, None)


@pytest.fixture(scope="session")
def demo_context(demo_evidence: Evidence) -> BundleContext:
    """What every document of the demo's credit-risk bundle is built from."""
    return demo_evidence.context


def copy_of(demo: Cli, folder: Path) -> Cli:
    """A copy of the demo's home and SQLite database in ``folder``, for a test that writes."""
    shutil.copytree(demo.cwd, folder)
    assert demo.database_url is not None
    url = demo.database_url.replace(str(demo.cwd), str(folder))
    return Cli(cwd=folder, home=folder / "home", database_url=url)
