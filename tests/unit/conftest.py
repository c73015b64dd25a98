"""The domain suite runs on two stores: eventsourcing's in-memory store and the signed SQLite store.

The in-memory (POPO) store accepts whatever the domain saves; the signed store is what govledger
runs on, and refuses what it cannot encode, sign and log. Every test that asks for
``governance_env`` (directly, or through ``new_organisation``) runs once on each, so a domain
rule that only holds in memory shows up as a failure named ``[signed-sqlite]``.

The signed store is initialised as ``govledger init`` does (keys in a home, then migrations),
once per session into a template that each test copies: migrating per test would be slow. After
each test on it, ``govledger verify`` must find the ledger the test left intact: whatever the
domain records, the verifier accepts.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from api.cli import main
from api.database import parse_database_url
from api.settings import Settings
from tests.conftest import initialise, make_settings
from tests.unit.fakes import IN_MEMORY_ENV, NewOrganisation, Organisation, organisation_on

STORES = ("in-memory", "signed-sqlite")
"""The ids of the two stores, as they appear in test ids."""


@pytest.fixture(scope="session")
def signed_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an initialised SQLite ledger (``ledger.db``) and its keys (``home``)."""
    folder = tmp_path_factory.mktemp("signed-store-template")
    initialise(make_settings(f"sqlite:///{folder / 'ledger.db'}", folder / "home"))
    return folder


@pytest.fixture(params=STORES)
def governance_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mapping[str, str]]:
    """The persistence environment of a fresh, empty store of each kind.

    On the signed store, the test fails at teardown unless `govledger verify` passes on it.
    """
    if request.param == "in-memory":
        yield dict(IN_MEMORY_ENV)
        return
    template: Path = request.getfixturevalue("signed_store_template")
    shutil.copytree(template / "home", tmp_path / "home")
    shutil.copy2(template / "ledger.db", tmp_path / "ledger.db")
    settings = make_settings(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "home")
    yield parse_database_url(settings.database_url).persistence_env(settings)
    report = verify_report(settings)
    assert report["intact"], f"the test left a ledger that verify rejects: {report}"


def verify_report(settings: Settings) -> dict[str, object]:
    """What `govledger verify --json` reports on the ledger of ``settings``.

    Run through the command line's entry point, with only this ledger's settings in the
    environment, so the report is the one an operator would read.
    """
    printed, errors = io.StringIO(), io.StringIO()
    alarms = logging.getLogger("govledger.alarm")
    handlers = list(alarms.handlers)
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(errors),
    ):
        for variable in [name for name in os.environ if name.startswith("GOVLEDGER_")]:
            patch.delenv(variable)
        patch.setenv("GOVLEDGER_HOME", str(settings.home))
        status = main(["verify", "--json", "--db", settings.database_url])
    # main adds its alarm handler on the stream it finds, here ours: keep the tests after it.
    alarms.handlers = handlers
    assert status in (0, 1), f"verify could not run (exit {status}): {errors.getvalue()}"
    report: dict[str, object] = json.loads(printed.getvalue())
    return report


@pytest.fixture
def new_organisation(governance_env: Mapping[str, str]) -> Iterator[NewOrganisation]:
    """Make organisations on the test's store (ports as keyword arguments); closed afterwards.

    Every organisation made in one test shares the test's store, as processes share a database.
    """
    made: list[Organisation] = []

    def make(**ports: object) -> Organisation:
        organisation = organisation_on(governance_env, **ports)  # type: ignore[arg-type]
        made.append(organisation)
        return organisation

    yield make
    for organisation in made:
        organisation.app.close()
