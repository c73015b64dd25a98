"""The five loops of model operations on the German credit data, with the real adapters and real
personal signatures, on SQLite and on PostgreSQL: train, validate (a fairness finding), mitigate,
deploy with UAT evidence, score, explain, drift on a shifted window, finding, webhook alert,
retrain, release again; then every prediction's proof, and ``verify`` over artifacts and segments.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)

from adapters.artifacts.file_store import FileArtifactStore
from adapters.artifacts.model_files import load_model
from adapters.credit import german
from adapters.credit.generator import APPLICANT_SHIFT, derived_sample, rows
from adapters.models.governed import holdout_split
from adapters.prediction_log.lookup import find_record
from api import lifecycle
from api.cast import Cast, enrol_cast
from api.composition import Ledger, log_vkey, open_ledger
from api.demo import demo_policy
from api.prediction_proofs import prove_prediction, verify_prediction_proof
from api.serving import ScoringService, prediction_directory
from api.settings import Settings
from domain.errors import GateError, SegregationOfDutiesError
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest
from tests.conftest import initialise, make_settings
from tests.unit.conftest import verify_report
from tests.unit.fakes import topics

SCORED, SHIFTED = 600, 600


class _Receiver(BaseHTTPRequestHandler):
    """A webhook receiver on 127.0.0.1 that keeps every JSON body it is sent."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", _Receiver.received
    server.shutdown()
    server.server_close()


def _verify(settings: Settings) -> dict[str, Any]:
    """``govledger verify --json`` on this ledger, as an operator would run it."""
    return verify_report(settings)


def _features(applications: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != german.TARGET} for row in applications]


def _score(service: ScoringService, sample: bytes) -> list[str]:
    applications = rows(sample)
    ids: list[str] = []
    for start in range(0, len(applications), 100):
        ids.extend(p.id for p in service.predict(_features(applications[start : start + 100])))
    service.feedback([(i, str(r[german.TARGET])) for i, r in zip(ids, applications, strict=True)])
    return ids


def _flip_one_byte(path: Path) -> bytes:
    original = path.read_bytes()
    os.chmod(path, 0o644)
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    path.write_bytes(bytes(changed))
    return original


class GovernedLoopContract:
    """Subclasses provide ``database_url``."""

    @pytest.fixture
    def settings(
        self, database_url: str, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
    ) -> Settings:
        base = make_settings(database_url, tmp_path / "home")
        return base.model_copy(update={"webhook_url": receiver[0]})

    @pytest.fixture
    def ledger(self, settings: Settings) -> Iterator[Ledger]:
        initialise(settings)
        opened = open_ledger(settings, with_ml=True)
        opened.application.bootstrap_admin(settings.admin)
        yield opened
        opened.close()

    def test_the_governed_life_of_a_credit_model(  # noqa: PLR0915 - one story, told in order
        self,
        settings: Settings,
        ledger: Ledger,
        receiver: tuple[str, list[dict[str, Any]]],
    ) -> None:
        app, home = ledger.application, settings.home
        store = FileArtifactStore.in_home(home)
        cast = Cast()
        signers = enrol_cast(app, admin=settings.admin, cast=cast, keys=home / "people")
        app.set_policy(actor=settings.admin, document=demo_policy())
        data = lifecycle.register_credit_data(app, cast, store, german.german_credit_csv())
        model_id = lifecycle.register_credit_model(app, cast)
        spec = lifecycle.credit_training_spec()

        # Continuous training and validation: the fairness gap is a finding.
        original = lifecycle.train(app, cast, model_id, [data], spec)
        first = lifecycle.validate(app, cast, signers, original)
        assert first.outcome == "failed"
        assert any("disparate impact" in breach for breach in first.breaches), first.breaches
        assert first.finding_ids
        self._recorded_fairness_equals_fairlearn(app, store, original)

        # Mitigation derives a fairer version, which passes the same gates.
        candidate = app.mitigate_model_version(
            actor=cast.developer,
            version_id=original,
            sensitive_attribute="age_band",
            method="threshold_optimizer",
            seed=42,
            code_version="test",
            environment={"runtime": "test"},
        )
        mitigated = app.get_model_version(candidate)
        assert mitigated.derived_from == str(original)
        before, after = mitigated.mitigation["before"], mitigated.mitigation["after"]
        assert after["disparate_impact"] > before["disparate_impact"]
        assert lifecycle.validate(app, cast, signers, candidate).outcome == "passed"

        # Release: refused self-approval, UAT evidence, refused prod before approval.
        with pytest.raises(SegregationOfDutiesError):
            lifecycle.approve(app, signers, candidate, [cast.developer])
        for environment in ("dev", "uat"):
            lifecycle.deploy(app, cast, candidate, environment)
        holdout = _features(rows(derived_sample(200, seed=5)))
        uat = self._service(app, store, home, candidate, "uat")
        assert lifecycle.record_uat_evidence(app, cast, store, uat, holdout, requests=200) == (
            True,
            True,
        )
        uat.close()
        with pytest.raises(GateError):
            lifecycle.deploy(app, cast, candidate, "prod")
        lifecycle.approve(app, signers, candidate, cast.approvers)
        lifecycle.deploy(app, cast, candidate, "prod")

        # Scoring with the prediction log, explanations reproducible bit for bit.
        prod = self._service(app, store, home, candidate, "prod")
        start = datetime.now(UTC).isoformat()
        steady_ids = _score(prod, derived_sample(SCORED, seed=21))
        explained = lifecycle.explain_predictions(app, cast, prod, steady_ids[:2])
        for explanation_id, prediction_id in zip(explained, steady_ids, strict=False):
            recorded = app.get_explanation(explanation_id)
            row = find_record(prod.predictions.directory, prediction_id).record["inputs"]
            assert isinstance(row, dict)
            again = app.explainer.explain(store.get(mitigated.artifact_digest), row, seed=11)
            weights = {name: float(w) for name, w in again["weights"].items()}
            assert sha256_digest(canonical_json(weights)) == recorded.weights_digest
        steady = lifecycle.evaluate_window(
            app, cast, store, prod, start=start, end=datetime.now(UTC).isoformat()
        )
        seen = {
            kind: len(app.prediction_segments(candidate, "prod", kind))
            for kind in ("prediction", "feedback")
        }

        # Drift on a shifted window: flagged, a finding, a webhook alert, retraining requested.
        start = datetime.now(UTC).isoformat()
        shifted_sample = derived_sample(SHIFTED, seed=22, shift=APPLICANT_SHIFT)
        shifted_ids = _score(prod, shifted_sample)
        shifted = lifecycle.evaluate_window(
            app,
            cast,
            store,
            prod,
            start=start,
            end=(datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            after_sequence=seen,
        )
        assert not any("drift" in b for b in steady.breaches), steady.breaches
        assert any("drift" in b for b in shifted.breaches), shifted.breaches
        assert shifted.finding_id is not None
        assert shifted.retraining_requested
        assert any(t.endswith("DriftFlagged") for t in topics(app))
        report = app.notifier.deliver_pending()
        assert report.delivered >= 1
        alerts = [n for n in receiver[1] if n.get("finding_id") == str(shifted.finding_id)]
        assert alerts, receiver[1]

        # Retraining on recent labelled data gives a derived version through the same gates.
        recent = lifecycle.register_credit_data(app, cast, store, shifted_sample)
        retrained = lifecycle.train(
            app, cast, model_id, [data, recent], spec, derived_from=candidate
        )
        assert app.get_model_version(retrained).derived_from == str(candidate)
        validation = lifecycle.validate(app, cast, signers, retrained)
        if validation.outcome != "passed":
            retrained = app.mitigate_model_version(
                actor=cast.developer,
                version_id=retrained,
                sensitive_attribute="age_band",
                method="threshold_optimizer",
                seed=42,
                code_version="test",
                environment={"runtime": "test"},
            )
            assert lifecycle.validate(app, cast, signers, retrained).outcome == "passed"
        for environment in ("dev", "uat"):
            lifecycle.deploy(app, cast, retrained, environment)
        uat = self._service(app, store, home, retrained, "uat")
        assert all(lifecycle.record_uat_evidence(app, cast, store, uat, holdout, requests=100))
        uat.close()
        lifecycle.approve(app, signers, retrained, cast.approvers)
        app.roll_back(actor=cast.deployer, version_id=candidate, environment="prod")
        lifecycle.deploy(app, cast, retrained, "prod")
        prod.close()

        # Every logged prediction has a proof up to a signed checkpoint.
        vkey = log_vkey(settings, ledger.keystore)
        for prediction_id in [*steady_ids, *shifted_ids]:
            proof = prove_prediction(
                ledger,
                home,
                prediction_id=prediction_id,
                version_id=candidate,
                environment="prod",
            )
            verify_prediction_proof(proof, vkey=vkey)

        # verify reads the artifacts and segments too: one changed byte of either is reported.
        assert _verify(settings)["intact"]
        artifact = store.path_of(mitigated.artifact_digest)
        original_bytes = _flip_one_byte(artifact)
        report_text = json.dumps(_verify(settings)["evidence"])
        assert mitigated.artifact_digest in report_text
        artifact.write_bytes(original_bytes)
        reference = store.path_of(mitigated.reference_digest)
        kept = reference.read_bytes()
        reference.unlink()
        missing = json.dumps(_verify(settings)["evidence"])
        assert f"{mitigated.reference_digest} recorded by" in missing
        assert "is missing" in missing
        reference.write_bytes(kept)
        assert _verify(settings)["intact"]
        segment = next(prediction_directory(home, candidate, "prod", "prediction").glob("*.sealed"))
        _flip_one_byte(segment)
        broken = _verify(settings)
        assert not broken["intact"]
        assert segment.name in json.dumps(broken["evidence"])

    @staticmethod
    def _service(
        app: Any, store: FileArtifactStore, home: Path, version_id: UUID, environment: str
    ) -> ScoringService:
        return ScoringService(
            app,
            version_id=version_id,
            environment=environment,
            actor=Cast().scoring,
            store=store,
            home=home,
            max_rows=1000,
            seal_every=250,
            seal_after=timedelta(minutes=10),
        )

    @staticmethod
    def _recorded_fairness_equals_fairlearn(
        app: Any, store: FileArtifactStore, version_id: UUID
    ) -> None:
        """The ``FairnessAssessed`` numbers are fairlearn's own, on the same holdout."""
        version = app.get_model_version(version_id)
        model = load_model(store.get(version.artifact_digest))
        frame = german.table_schema().read_csv(store.get(version.dataset_versions[0]["digest"]))
        _, holdout = holdout_split(frame, version.training_spec)
        y_true = model.labels(holdout)
        y_pred = model.decide(model.typed(holdout))
        (assessed,) = [
            event
            for event in (
                app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 10**6)
            )
            if event.originator_id == version_id
            and type(event).__qualname__.endswith("FairnessAssessed")
        ]
        assert set(assessed.fairness) == set(german.PROTECTED_ATTRIBUTES)
        for attribute, recorded in assessed.fairness.items():
            groups = holdout[attribute].astype(str).to_numpy()
            assert recorded["demographic_parity_difference"] == demographic_parity_difference(
                y_true, y_pred, sensitive_features=groups
            )
            assert recorded["equalized_odds_difference"] == equalized_odds_difference(
                y_true, y_pred, sensitive_features=groups
            )
            for group in np.unique(groups):
                mask = groups == group
                assert recorded[f"selection_rate.{group}"] == selection_rate(
                    y_true[mask], y_pred[mask]
                )


class TestGovernedLoopOnSQLite(GovernedLoopContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestGovernedLoopOnPostgres(GovernedLoopContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
