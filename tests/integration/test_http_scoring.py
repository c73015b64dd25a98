"""Scoring over HTTP on the demo's ledger (real training and deployment), on both engines:
answers equal the pipeline's ``predict_proba``, concurrent requests share one model call, bad
rows and wrong roles are refused, a sealed prediction is proved up to a signed checkpoint, and a
rollback switches the version served."""

from __future__ import annotations

import argparse
import base64
import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pandas as pd
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from adapters.artifacts.file_store import FileArtifactStore
from adapters.artifacts.model_files import load_model
from adapters.credit import german
from adapters.credit.generator import rows as csv_rows
from adapters.prediction_log.records import encode_record
from api import commands
from api.composition import Ledger, open_ledger
from api.database import parse_database_url
from api.http.app import create_app
from api.http.scorers import Scorer, ScorerPool
from api.prediction_proofs import PredictionProof, verify_prediction_proof
from api.serving import checked_content
from api.settings import Settings
from domain.aggregates.model import Model
from ledger.errors import VerificationError
from tests.integration.test_http_reads import issue_token

MODEL = "credit-risk"
SCORING, READER, DEPLOYER = "scoring-service", "vera-validator", "dee-deployer"
PREDICT = f"/v1/deployments/prod/{MODEL}/predict"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database of each engine for the module's demo."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('scoring-db') / 'ledger.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"govledger_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_database = parse_database_url(admin_url)
    credentials = admin_database.user + (
        f":{admin_database.password}" if admin_database.password else ""
    )
    yield f"postgresql://{credentials}@{admin_database.host}:{admin_database.port}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="module")
def ledger(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """The demo's ledger (``govledger init`` then ``demo``, in process): credit-risk trained,
    validated, approved and deployed to prod."""
    settings = Settings(database_url=database_url, home=tmp_path_factory.mktemp("scoring"))
    assert commands.init(settings, argparse.Namespace()) == 0
    assert commands.demo(settings, argparse.Namespace()) == 0
    opened = open_ledger(settings, with_ml=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(ledger: Ledger) -> Iterator[TestClient]:
    app = create_app(ledger.settings, opened=ledger)
    scoring = {"Authorization": f"Bearer {issue_token(ledger, SCORING)}"}
    with TestClient(app, raise_server_exceptions=False, headers=scoring) as client:
        yield client


@pytest.fixture(scope="module")
def reading(ledger: Ledger) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(ledger, READER)}"}


@pytest.fixture(scope="module")
def applications() -> list[dict[str, Any]]:
    """German credit applications without their outcome: what a scoring client sends."""
    return [
        {k: v for k, v in row.items() if k != german.TARGET}
        for row in csv_rows(german.german_credit_csv())[:40]
    ]


def pool(client: TestClient) -> ScorerPool:
    found: ScorerPool = client.app.state.scorers  # type: ignore[attr-defined]
    return found


def prod_scorer(client: TestClient) -> Scorer:
    return pool(client).scorer(MODEL, "prod", SCORING)


def pipeline_scores(client: TestClient, version_id: str, rows: list[dict[str, Any]]) -> list[float]:
    """The version's trained pipeline's ``predict_proba`` on ``rows`` as one frame (typed by the
    training schema, as the bare baseline does)."""
    ledger: Ledger = client.app.state.services.ledger  # type: ignore[attr-defined]
    version = ledger.application.get_model_version(UUID(version_id))
    store = FileArtifactStore.in_home(ledger.settings.home)
    model = load_model(checked_content(store, version.artifact_digest, "artifact"))
    typed = prod_scorer(client).service.schema.check_rows(rows)
    return [float(p) for p in model.pipeline.predict_proba(pd.DataFrame(typed))[:, 1]]


def proof_of(body: dict[str, Any]) -> PredictionProof:
    """The proof an answer of ``GET /v1/predictions/{id}`` carries."""
    proof = body["proof"]
    return PredictionProof(
        record=base64.b64decode(proof["record"]),
        segment_index=proof["segment_index"],
        segment_size=proof["segment_size"],
        segment_hashes=tuple(bytes.fromhex(h) for h in proof["segment_hashes"]),
        entry=base64.b64decode(proof["entry"]),
        tlog_proof=proof["tlog_proof"],
        vkey=proof["vkey"],
    )


def predicted(client: TestClient, rows: list[dict[str, Any]]) -> dict[str, Any]:
    answer = client.post(PREDICT, json={"rows": rows})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_one_and_many_rows_score_as_the_pipeline_does(
    client: TestClient, ledger: Ledger, applications: list[dict[str, Any]]
) -> None:
    one = predicted(client, applications[:1])
    many = predicted(client, applications[:25])

    assert one["version_id"] == many["version_id"]
    expected = pipeline_scores(client, many["version_id"], applications[:25])
    assert [p["score"] for p in many["predictions"]] == expected
    assert [p["score"] for p in one["predictions"]] == pipeline_scores(
        client, one["version_id"], applications[:1]
    )
    assert len({p["id"] for p in one["predictions"] + many["predictions"]}) == 26
    assert all(p["decision"] in {0, 1} for p in many["predictions"])
    assert one["log"]["size"] > 0


def test_concurrent_requests_share_one_model_call_and_each_gets_its_own_answer(
    client: TestClient, ledger: Ledger, applications: list[dict[str, Any]]
) -> None:
    predicted(client, applications[:1])  # the scorer exists
    scorer = prod_scorer(client)
    batches, requests = scorer.batches, scorer.requests
    answers: dict[int, dict[str, Any]] = {}

    def ask(index: int) -> None:
        answers[index] = predicted(client, [applications[index]])

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(8)]
    with scorer._model_lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while scorer.waiting < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scorer.waiting == 8
    for thread in threads:
        thread.join()

    assert scorer.requests - requests == 8
    assert scorer.batches - batches == 1
    version = answers[0]["version_id"]
    expected = [pipeline_scores(client, version, [applications[i]])[0] for i in range(8)]
    assert [answers[i]["predictions"][0]["score"] for i in range(8)] == expected
    assert len({answers[i]["predictions"][0]["id"] for i in range(8)}) == 8


def test_a_bad_row_is_refused_naming_row_and_column_and_nothing_is_logged(
    client: TestClient, applications: list[dict[str, Any]]
) -> None:
    scorer = prod_scorer(client)
    batches, requests = scorer.batches, scorer.requests
    bad = [applications[0], {**applications[1], "duration_months": "long"}]

    answer = client.post(PREDICT, json={"rows": bad})

    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "row 1" in detail
    assert "duration_months" in detail
    assert (scorer.batches, scorer.requests) == (batches, requests)


def test_an_empty_or_unknown_deployment_is_refused_clearly(client: TestClient) -> None:
    empty = client.post(PREDICT, json={"rows": []})
    unknown = client.post("/v1/deployments/prod/no-such-model/predict", json={"rows": [{}]})

    assert empty.status_code == 422
    assert unknown.status_code == 404
    assert "no-such-model" in unknown.json()["detail"]


def test_a_scoring_client_cannot_read_and_a_reader_cannot_predict(
    client: TestClient, ledger: Ledger, reading: dict[str, str], applications: list[Any]
) -> None:
    read = client.get("/v1/inventory")
    predict = client.post(PREDICT, json={"rows": applications[:1]}, headers=reading)

    assert read.status_code == 403
    assert predict.status_code == 403
    refusals = client.get(f"/v1/search/refusal?actor={READER}", headers=reading).json()["rows"]
    assert any("predict" in str(refusal) for refusal in refusals), refusals


def test_a_sealed_prediction_is_proved_up_to_a_signed_checkpoint(
    client: TestClient, ledger: Ledger, reading: dict[str, str], applications: list[Any]
) -> None:
    prediction_id = predicted(client, applications[:1])["predictions"][0]["id"]
    waiting = client.get(f"/v1/predictions/{prediction_id}", headers=reading)
    assert waiting.status_code == 409, waiting.text
    assert "not sealed" in waiting.json()["detail"]

    prod_scorer(client).seal()
    answer = client.get(f"/v1/predictions/{prediction_id}", headers=reading)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    proof = body["proof"]
    record = base64.b64decode(proof["record"])
    assert record == encode_record(body["record"])
    assert body["record"]["id"] == prediction_id
    verify_prediction_proof(proof_of(body))
    tampered = dataclasses.replace(proof_of(body), record=record.replace(b'"score":', b'"score":1'))
    with pytest.raises(VerificationError):
        verify_prediction_proof(tampered)


def test_unknown_predictions_and_explanations_are_404(
    client: TestClient, reading: dict[str, str]
) -> None:
    unknown = "01938f5e-8a3b-7c1d-9e2f-0123456789ab"

    assert client.get(f"/v1/predictions/{unknown}", headers=reading).status_code == 404
    assert client.get(f"/v1/predictions/{unknown}/explanation", headers=reading).status_code == 404
    assert client.get("/v1/predictions/not-an-id", headers=reading).status_code == 422


def test_an_explanation_the_demo_recorded_is_served(
    client: TestClient, reading: dict[str, str]
) -> None:
    found = client.get("/v1/search/explanation", headers=reading).json()["rows"]
    assert found
    reference = found[0]["prediction_ref"]

    answer = client.get(f"/v1/predictions/{reference}/explanation", headers=reading)

    assert answer.status_code == 200, answer.text
    assert answer.json()["prediction_ref"] == reference
    assert answer.json()["explanation_id"] == found[0]["explanation_id"]


def test_a_rollback_switches_the_serving_version(
    client: TestClient, ledger: Ledger, applications: list[Any]
) -> None:
    application = ledger.application
    uat = f"/v1/deployments/uat/{MODEL}/predict"
    before = client.post(uat, json={"rows": applications[:1]}).json()["version_id"]
    versions = [
        application.get_model_version(v)
        for v in application.get_model(Model.create_id(MODEL)).version_ids
    ]
    remaining = [v for v in versions if "uat" in v.environments and str(v.id) != before]
    assert remaining, "the demo leaves an earlier version in uat"

    application.roll_back(actor=DEPLOYER, version_id=UUID(before), environment="uat")
    after = client.post(uat, json={"rows": applications[:1]})

    assert after.status_code == 200, after.text
    assert after.json()["version_id"] == str(max(remaining, key=lambda v: v.number).id)
    assert after.json()["version_id"] != before
