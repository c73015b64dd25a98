"""Findings 9 and 10 on the signed store of each engine, through the application `open_ledger`
composes (the real Ed25519 verifier, the key store's own keys).

Storage decides these: a key binding collides in the store, numbers come back from canonical
JSON, a refusal whose input is not Unicode must still be storable.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.composition import Ledger, open_ledger
from api.settings import Settings
from domain.errors import DuplicateError, InvalidArgumentError, NotAuthorizedError
from domain.rules.roles import Role
from ledger.keys.ed25519 import public_key_pem
from ledger.verify.events import verify_store
from tests.unit.fakes import refused, topics


def personal_key() -> str:
    return public_key_pem(Ed25519PrivateKey.generate().public_key()).decode("ascii")


class GovernanceRulesContract:
    """Subclasses provide ``database_url``; the fixtures are those of tests/integration."""

    @pytest.fixture
    def admin(self, ledger: Ledger) -> Ledger:
        app = ledger.application
        app.bootstrap_admin("root")
        for name, role in (("ann", Role.APPROVER), ("abe", Role.APPROVER)):
            app.register_principal(actor="root", name=name, roles=[role])
        return ledger

    @pytest.mark.parametrize("which", ["event", "log"])
    def test_finding_9_a_key_of_the_ledger_service_is_never_a_personal_key(
        self, admin: Ledger, which: str
    ) -> None:
        keystore = admin.keystore
        signer = keystore.event_signer() if which == "event" else keystore.log_signer()
        pem = public_key_pem(signer.public_key).decode("ascii")

        with refused(admin.application, InvalidArgumentError, "a key of the ledger service"):
            admin.application.register_key(actor="root", name="ann", public_key_pem=pem)

        assert admin.application.get_principal("ann").keys == {}

    def test_finding_9_one_public_key_belongs_to_one_principal(self, admin: Ledger) -> None:
        pem = personal_key()
        keyid = admin.application.register_key(actor="root", name="ann", public_key_pem=pem)

        with refused(admin.application, DuplicateError, "already registered to 'ann'"):
            admin.application.register_key(actor="root", name="abe", public_key_pem=pem)

        assert keyid not in admin.application.get_principal("abe").keys

    def test_finding_9_a_key_bound_by_another_process_is_refused(
        self, admin: Ledger, settings: Settings
    ) -> None:
        """The binding is in the store, not in one process's memory."""
        pem = personal_key()
        other = open_ledger(settings)
        try:
            other.application.register_key(actor="root", name="ann", public_key_pem=pem)
        finally:
            other.close()

        with refused(admin.application, DuplicateError, "already registered to 'ann'"):
            admin.application.register_key(actor="root", name="abe", public_key_pem=pem)

    def test_finding_10_numbers_come_back_with_their_types(
        self, admin: Ledger, settings: Settings
    ) -> None:
        app = admin.application
        app.register_principal(actor="root", name="olga", roles=[Role.MODEL_OWNER])
        app.register_principal(actor="root", name="dev", roles=[Role.MODEL_DEVELOPER])
        app.register_principal(actor="root", name="stu", roles=[Role.DATA_STEWARD])
        model_id = app.register_model(
            actor="olga",
            name="credit",
            purpose="p",
            intended_use="u",
            restrictions=[],
            risk_tier="low",
        )
        version_id = app.train_model_version(
            actor="dev",
            model_id=model_id,
            dataset_versions=["credit-data:1"],
            training_spec={"C": 1.0},
            code_version="git:1",
            environment={},
            artifact_digest="sha256:" + "a" * 64,
            metrics={"auc": 1.0, "accuracy": 1},
        )
        dataset_id = app.register_dataset(name="credit-data", description="d", actor="stu")
        app.add_dataset_version(
            dataset_id,
            digest="sha256:" + "d" * 64,
            row_count=3,
            columns=["a"],
            protected_attributes=[],
            sensitivity="internal",
            license="CC-BY-4.0",
            actor="stu",
        )
        reader = open_ledger(settings)
        try:
            version = reader.application.get_model_version(version_id)
            dataset = reader.application.get_dataset(dataset_id)
        finally:
            reader.close()

        assert version.metrics == {"auc": 1.0, "accuracy": 1.0}
        assert all(type(value) is float for value in version.metrics.values())
        assert version.training_spec == {"C": 1}
        assert (dataset.versions[0].row_count, dataset.versions[0].license) == (3, "CC-BY-4.0")

    def test_a_refusal_of_text_that_is_not_unicode_is_recorded_and_verifies(
        self, admin: Ledger
    ) -> None:
        app = admin.application

        with refused(app, NotAuthorizedError, "is not a registered principal"):
            app.register_dataset(name="x", description="x", actor="mallory\ud800")
        with refused(app, InvalidArgumentError, "lone surrogate"):
            app.register_principal(actor="root", name="eve", roles=["auditor\udc80"])

        report = verify_store(admin.log, admin.keyring())
        assert report.intact, report.problems
        assert topics(app).count("CommandRefused") == 2


class TestGovernanceRulesOnSQLite(GovernanceRulesContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestGovernanceRulesOnPostgres(GovernanceRulesContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
