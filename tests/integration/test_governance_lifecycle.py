"""The governance lifecycle on the signed store, on SQLite and on PostgreSQL, then verified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from api.composition import Ledger, open_ledger
from api.settings import Settings
from domain.application import GovernanceApplication
from domain.errors import GateError
from domain.ports.protocols import FeatureDrift
from domain.rules.roles import Role
from ledger.verify.events import verify_store
from ledger.verify.tree import verify_tree
from tests.conftest import initialise, make_settings
from tests.unit.fakes import (
    FakeClock,
    FakeDriftDetector,
    FakeFairnessAssessor,
    HmacSignatureVerifier,
    Organisation,
    topics,
)


class GovernanceLifecycleContract:
    """A model's whole lifecycle leaves an intact ledger; subclasses provide ``database_url``."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(database_url, tmp_path / "home")

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def ledger(self, settings: Settings, clock: FakeClock) -> Iterator[Ledger]:
        database = initialise(settings)
        opened = open_ledger(settings)
        opened.application.close()
        # People sign with the test cast's HMAC keys (tests/unit/fakes.py), which keep the port's
        # contract (tests/unit/test_port_contracts.py); test_personal_signatures.py takes real
        # `govledger sign` signatures through the application open_ledger composes.
        application = GovernanceApplication(
            env=database.persistence_env(settings),
            signatures=HmacSignatureVerifier(),
            clock=clock,
            drift_detector=FakeDriftDetector({"age": FeatureDrift(psi=0.4, ks_p_value=0.01)}),
            fairness_assessor=FakeFairnessAssessor({"disparate_impact": 0.9}),
        )
        governed = Ledger(
            settings=settings,
            database=database,
            keystore=opened.keystore,
            application=application,
        )
        yield governed
        governed.close()

    def test_a_high_risk_model_goes_to_prod_and_the_ledger_stays_intact(
        self,
        ledger: Ledger,
        clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        app = ledger.application
        org = Organisation(app, clock)
        app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])
        dataset_id = app.register_dataset(name="credit-data", description="loans", actor="dana")
        app.add_dataset_version(
            dataset_id,
            digest="sha256:" + "d" * 64,
            row_count=1000,
            columns=["age", "amount", "good"],
            protected_attributes=["age"],
            sensitivity="confidential",
            actor="dana",
        )
        version_id = org.train(org.register_model(risk_tier="high"))
        org.validate(version_id)
        org.approve(version_id, "ann")
        with pytest.raises(GateError, match="needs 2 distinct approver"):
            org.deploy(version_id, "prod")
        org.approve(version_id, "abe")
        for environment in ("dev", "uat", "prod"):
            org.deploy(version_id, environment)
        finding_id = app.record_monitoring_result(
            actor="mon", version_id=version_id, environment="prod", metrics={"psi": 0.4}
        )

        monitor_id = app.register_monitor(
            actor="olga",
            version_id=version_id,
            kind="drift",
            environment="prod",
            thresholds={"psi_drift": 0.3},
        )
        window_finding_id = app.evaluate_monitoring_window(
            actor="mon",
            monitor_id=monitor_id,
            start="2025-01-01T00:00:00+00:00",
            end="2025-01-08T00:00:00+00:00",
            reference_rows=[{"age": 30}, {"age": 45}],
            window_rows=[{"age": 62}, {"age": 70}],
        )
        explanation_id = app.record_explanation(
            actor="mon",
            version_id=version_id,
            prediction_ref="batch-1/row-3",
            method="lime",
            parameters={"num_samples": 5000, "kernel_width": 0.75},
            seed=42,
            weights_digest="sha256:" + "c" * 64,
            fidelity=0.87,
        )

        assert finding_id is not None
        assert app.get_finding(finding_id).is_open
        assert window_finding_id is not None
        assert app.get_monitor(monitor_id).last_breaches == [
            "PSI of age 0.4 >= 0.3 (drift)",  # the monitor overrides psi_drift with 0.3
            "dataset drift share 1.0 >= 0.5 (dataset drift)",
        ]
        assert app.get_explanation(explanation_id).fidelity == 0.87
        version = app.get_model_version(version_id)
        assert version.finding_ids == [finding_id, window_finding_id]
        assert version.environments == {"dev", "uat", "prod"}
        assert topics(app).count("CommandRefused") == 1
        self.assert_intact(ledger)
        self.assert_the_verify_command_passes(ledger.settings, monkeypatch, capsys)

    def test_the_lifecycle_reads_back_from_a_reopened_ledger(
        self, ledger: Ledger, settings: Settings, clock: FakeClock
    ) -> None:
        org = Organisation(ledger.application, clock)
        version_id = org.released(risk_tier="low")
        org.deploy(version_id, "prod")

        reopened = open_ledger(settings)
        try:
            version = reopened.application.get_model_version(version_id)
            assert (version.status, version.approvers_of(version.artifact_digest)) == (
                "deployed",
                {"ann", "abe"},
            )
            assert version.validation_signed is not None
        finally:
            reopened.close()
        self.assert_intact(ledger)

    def assert_the_verify_command_passes(
        self,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("GOVLEDGER_HOME", str(settings.home))
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", settings.database_url)
        monkeypatch.delenv("GOVLEDGER_KEY_PASSPHRASE", raising=False)
        capsys.readouterr()

        status = main(["verify"])

        assert status == 0
        assert capsys.readouterr().out.startswith("ledger intact:")

    def assert_intact(self, ledger: Ledger) -> None:
        store = verify_store(ledger.log, ledger.keyring())
        assert store.intact, store.problems
        ledger.checkpointer.cut()
        tree = verify_tree(
            ledger.tree,
            origin=ledger.settings.log_origin,
            verifiers=[ledger.log_verifier()],
            published=(),
        )
        assert tree.intact, tree.problems
        assert tree.leaves == store.leaves


class TestGovernanceLifecycleOnSQLite(GovernanceLifecycleContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestGovernanceLifecycleOnPostgres(GovernanceLifecycleContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
