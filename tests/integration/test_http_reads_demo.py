"""The reads over HTTP on the demo's ledger (real training, scoring, explaining; SQLite): an
auditor's session answers what the CLI prints, and proves every leaf ``why`` cites against the
signed checkpoint with the keys the API serves."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.composition import Ledger, open_ledger
from api.http.app import create_app
from api.settings import Settings
from ledger.merkle import verify_inclusion
from ledger.tlog.checkpoint import open_checkpoint
from ledger.tlog.note import NoteVerifier
from tests.e2e.conftest import Cli
from tests.integration.read_side_history import sources_in
from tests.integration.test_http_reads import issue_token

READER = "vera-validator"
MODEL = "credit-risk"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A home where `govledger demo` ran; its log checkpointed at its full size."""
    folder = tmp_path_factory.mktemp("http-demo")
    cli = Cli(cwd=folder, home=folder / "home", database_url=f"sqlite:///{folder / 'ledger.db'}")
    cli.ok("init")
    assert cli.run("demo").status == 0
    cli.ok("project")
    cli.ok("checkpoint")
    return cli


@pytest.fixture(scope="module")
def ledger(demo: Cli) -> Iterator[Ledger]:
    assert demo.database_url is not None
    opened = open_ledger(Settings(database_url=demo.database_url, home=demo.home))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(ledger: Ledger) -> Iterator[TestClient]:
    app = create_app(ledger.settings, opened=ledger)
    reader = {"Authorization": f"Bearer {issue_token(ledger, READER)}"}
    with TestClient(app, raise_server_exceptions=False, headers=reader) as client:
        yield client


def printed(cli: Cli, *args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cli.ok(*args, "--json").stdout)
    return document


@pytest.mark.parametrize(
    ("url", "arguments"),
    [
        (f"/v1/models/{MODEL}/why", ["why", MODEL]),
        (
            f"/v1/search/prediction_segment?model={MODEL}",
            ["search", "prediction_segment", "--model", MODEL],
        ),
        ("/v1/search/explanation", ["search", "explanation"]),
    ],
)
def test_each_read_answers_what_the_cli_prints(
    client: TestClient, demo: Cli, url: str, arguments: list[str]
) -> None:
    answer = client.get(url)

    assert answer.status_code == 200, answer.text
    assert answer.json() == printed(demo, *arguments)


def test_the_demo_sealed_predictions_and_recorded_explanations(client: TestClient) -> None:
    segments = client.get(f"/v1/search/prediction_segment?model={MODEL}").json()["rows"]
    explanations = client.get("/v1/search/explanation").json()["rows"]

    assert segments
    assert explanations


def test_every_leaf_why_cites_is_proved_against_the_signed_checkpoint(client: TestClient) -> None:
    keys = client.get("/v1/ledger/keys").json()
    checkpoint = open_checkpoint(
        client.get("/v1/ledger/checkpoint").text,
        [NoteVerifier.from_vkey(keys["log_vkey"])],
        keys["origin"],
    )
    why = client.get(f"/v1/models/{MODEL}/why?as_of={checkpoint.size}").json()
    leaves = {leaf for _, cited in sources_in(why) for leaf in cited}

    assert why["log"] == {
        "size": checkpoint.size,
        "root": base64.b64encode(checkpoint.root).decode("ascii"),
    }
    assert len(leaves) > 5
    for leaf in sorted(leaves):
        proof = client.get(f"/v1/ledger/proofs/inclusion?index={leaf}").json()
        verify_inclusion(
            base64.b64decode(proof["leaf_hash"]),
            leaf,
            checkpoint.size,
            [base64.b64decode(h) for h in proof["hashes"]],
            checkpoint.root,
        )


def test_the_demo_cast_is_listed_with_roles_and_signing_keys(client: TestClient) -> None:
    principals = {p["name"]: p for p in client.get("/v1/principals").json()["data"]}

    assert principals["scoring-service"]["roles"] == ["scoring_client"]
    assert [k["status"] for k in principals["vera-validator"]["keys"]] == ["active"]


def test_a_scoring_service_may_not_read(client: TestClient, ledger: Ledger) -> None:
    scorer = {"Authorization": f"Bearer {issue_token(ledger, 'scoring-service')}"}

    answer = client.get("/v1/inventory", headers=scorer)

    assert answer.status_code == 403
