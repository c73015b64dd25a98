"""A person's Ed25519 decision, from `govledger personal-key` and `govledger sign` to the ledger.

Build 8: no HMAC stand-in here. The keys and signatures come from the CLI commands a person runs,
and the application is the one `open_ledger` composes, with the real Ed25519 verifier, on the
signed store of each engine.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.cli import main
from api.composition import Ledger, open_ledger
from api.settings import Settings
from domain.application import GovernanceApplication
from domain.errors import SignatureError
from domain.rules.roles import Role
from tests.conftest import initialise, make_settings
from tests.unit.fakes import EVIDENCE, refused

ARTIFACT = "sha256:" + "5e" * 32
PEOPLE = {
    "olga": Role.MODEL_OWNER,
    "dev": Role.MODEL_DEVELOPER,
    "vera": Role.VALIDATOR,
    "ann": Role.APPROVER,
}


class Person:
    """Someone who made a personal key with `govledger personal-key` and signs with it."""

    def __init__(self, name: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.name = name
        self.key = folder / f"{name}.key"
        self.capsys = capsys
        assert main(["personal-key", "--out", str(self.key), "--passphrase-env", "PASSPHRASE"]) == 0
        capsys.readouterr()

    def public_key_pem(self) -> str:
        return self.key.with_name(self.key.name + ".pub").read_text(encoding="ascii")

    def sign(self, action: str, subject: UUID, outcome: str) -> dict[str, Any]:
        """Run `govledger sign` and return the printed document."""
        # A whole second after now: sign writes seconds, and a decision may not predate its
        # subject, which was recorded a fraction of a second ago.
        signed_at = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.capsys.readouterr()
        status = main(
            [
                *("sign", "--key", str(self.key), "--passphrase-env", "PASSPHRASE"),
                *("--action", action, "--subject", str(subject), "--outcome", outcome),
                *("--artifact-digest", ARTIFACT, "--signer", self.name, "--signed-at", signed_at),
                *(argument for digest in EVIDENCE for argument in ("--evidence-digest", digest)),
            ]
        )
        assert status == 0
        document: dict[str, Any] = json.loads(self.capsys.readouterr().out)
        return document


def signed_arguments(document: dict[str, Any]) -> dict[str, Any]:
    """The signature arguments of a command, as the person hands in `govledger sign`'s output."""
    return {
        "signature": base64.b64decode(document["signature"]),
        "keyid": document["keyid"],
        "signed_at": document["signed_at"],
    }


class PersonalSignatureContract:
    """Subclasses provide ``database_url``."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(database_url, tmp_path / "home")

    @pytest.fixture
    def ledger(self, settings: Settings) -> Iterator[Ledger]:
        initialise(settings)
        opened = open_ledger(settings)
        yield opened
        opened.close()

    @pytest.fixture
    def people(
        self,
        ledger: Ledger,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> dict[str, Person]:
        """The cast, each with a personal key an admin registered."""
        monkeypatch.setenv("PASSPHRASE", "correct horse battery staple")
        app = ledger.application
        app.bootstrap_admin("root")
        people = {}
        for name, role in PEOPLE.items():
            app.register_principal(actor="root", name=name, roles=[role])
            people[name] = Person(name, tmp_path, capsys)
            app.register_key(actor="root", name=name, public_key_pem=people[name].public_key_pem())
        return people

    @pytest.fixture
    def validated(self, ledger: Ledger, people: dict[str, Person]) -> UUID:
        """A version whose validation vera concluded with her `govledger sign` signature."""
        app = ledger.application
        model_id = app.register_model(
            actor="olga",
            name="credit",
            purpose="score loan applications",
            intended_use="decision support",
            restrictions=[],
            risk_tier="low",
        )
        version_id = app.train_model_version(
            actor="dev",
            model_id=model_id,
            dataset_versions=["credit-data:1"],
            training_spec={"algorithm": "logistic_regression", "seed": 7},
            code_version="git:0123abc",
            environment={"python": "3.11"},
            artifact_digest=ARTIFACT,
            metrics={"auc": 0.81},
        )
        app.start_validation(actor="vera", version_id=version_id)
        concluded = people["vera"].sign("conclude_validation", version_id, "passed")
        app.conclude_validation(
            actor="vera",
            version_id=version_id,
            outcome="passed",
            evidence_digests=EVIDENCE,
            **signed_arguments(concluded),
        )
        return version_id

    def approve(
        self, app: GovernanceApplication, version_id: UUID, document: dict[str, Any]
    ) -> None:
        app.grant_approval(
            actor="ann",
            version_id=version_id,
            artifact_digest=ARTIFACT,
            evidence_digests=EVIDENCE,
            **signed_arguments(document),
        )

    def test_an_approval_signed_with_govledger_sign_is_accepted(
        self, ledger: Ledger, people: dict[str, Person], validated: UUID
    ) -> None:
        """Build 8: a real Ed25519 decision goes through the application and is recorded."""
        app = ledger.application
        document = people["ann"].sign("approve", validated, "granted")

        self.approve(app, validated, document)

        version = app.get_model_version(validated)
        assert version.approvers_of(ARTIFACT) == {"ann"}
        assert document["keyid"] in app.get_principal("ann").keys
        assert version.validation_signed is not None
        assert version.validation_signed.keyid in app.get_principal("vera").keys

    def test_a_tampered_signature_is_refused_and_the_refusal_recorded(
        self, ledger: Ledger, people: dict[str, Person], validated: UUID
    ) -> None:
        """Build 8: one flipped bit in a real signature, and the approval is a CommandRefused."""
        app = ledger.application
        document = people["ann"].sign("approve", validated, "granted")
        signature = bytearray(base64.b64decode(document["signature"]))
        signature[0] ^= 0x01
        tampered = {**document, "signature": base64.b64encode(bytes(signature)).decode()}

        with refused(app, SignatureError, "does not verify over the approve statement"):
            self.approve(app, validated, tampered)
        assert app.get_model_version(validated).approvers_of(ARTIFACT) == set()

    def test_a_signature_over_another_statement_is_refused_and_recorded(
        self, ledger: Ledger, people: dict[str, Person], validated: UUID
    ) -> None:
        """Build 8: ann's genuine signature of a rejection cannot be handed in as an approval."""
        app = ledger.application
        rejection = people["ann"].sign("reject", validated, "rejected")

        with refused(app, SignatureError, "does not verify over the approve statement"):
            self.approve(app, validated, rejection)
        assert app.get_model_version(validated).approvers_of(ARTIFACT) == set()


class TestPersonalSignaturesOnSQLite(PersonalSignatureContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestPersonalSignaturesOnPostgres(PersonalSignatureContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
