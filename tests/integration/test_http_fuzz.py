"""A property-based fuzz of the OpenAPI schema (schemathesis) over every endpoint, with no token,
a bad token and a valid token of each role in turn: no answer is a server error.

Commands refused for what the fuzzer sends are recorded on the ledger like any refusal; the
ledger still verifies afterwards.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from api.composition import Ledger, open_ledger
from domain.rules.roles import Role
from tests.conftest import initialise, make_settings
from tests.integration.http_client import api_client

EXAMPLES = 15
"""Examples per operation and test: about 70 operations x 3 tests x 15 examples each run."""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[Role, str]]]:
    home: Path = tmp_path_factory.mktemp("fuzz")
    the_settings = make_settings(f"sqlite:///{home / 'ledger.db'}", home / "home")
    initialise(the_settings)
    ledger: Ledger = open_ledger(the_settings, with_ml=True)
    try:
        with api_client(ledger) as api:
            yield api.client.app, api.tokens  # type: ignore[misc]
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[FastAPI, dict[Role, str]]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed[0])


schema = schemathesis.pytest.from_fixture("api_schema")
_ROLES = itertools.cycle(Role)
_FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _no_server_error(case: schemathesis.Case[Any], headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )


@schema.parametrize()
@_FUZZ
def test_no_token_never_a_server_error(case: schemathesis.Case[Any]) -> None:
    _no_server_error(case, {})


@schema.parametrize()
@_FUZZ
def test_a_bad_token_never_a_server_error(case: schemathesis.Case[Any]) -> None:
    _no_server_error(case, {"Authorization": "Bearer gl_nosuch_AAAAAAAAAAAAAAAAAAAAAAAAAAAA"})


@schema.parametrize()
@_FUZZ
def test_every_role_never_a_server_error(
    case: schemathesis.Case[Any], fuzzed: tuple[FastAPI, dict[Role, str]]
) -> None:
    _no_server_error(case, {"Authorization": f"Bearer {fuzzed[1][next(_ROLES)]}"})
