"""POST /v1/statements: the canonical bytes a person signs on their own machine, signer = caller."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.personal_signing import generate_personal_key
from api.http.auth import Caller, authenticated
from api.http.problems import install_error_handlers
from api.http.routes import statements
from api.http.services import services
from domain.rules.roles import Role
from domain.rules.statements import Statement

SUBJECT = uuid4()
ARTIFACT = "sha256:" + "a" * 64
EVIDENCE = ["sha256:" + "e" * 64, "sha256:" + "f" * 64]
SIGNED_AT = "2025-06-30T14:05:00Z"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(statements.router, prefix="/v1")
    app.dependency_overrides[authenticated] = lambda: Caller("ann", frozenset({Role.APPROVER}))
    app.dependency_overrides[services] = lambda: None  # only a refusal would need the ledger
    return TestClient(app, raise_server_exceptions=False)


def body(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "action": "approve",
        "subject": str(SUBJECT),
        "artifact_digest": ARTIFACT,
        "evidence_digests": EVIDENCE,
        "signed_at": SIGNED_AT,
        "outcome": "granted",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def test_the_answer_is_the_domains_canonical_bytes_with_the_caller_as_signer(
    client: TestClient,
) -> None:
    answer = client.post("/v1/statements", json=body(subject=str(SUBJECT).upper()))

    assert answer.status_code == 200, answer.text
    found = answer.json()
    expected = Statement(
        action="approve",
        subject=str(SUBJECT),
        artifact_digest=ARTIFACT,
        evidence_digests=tuple(EVIDENCE),
        signer="ann",
        signed_at=SIGNED_AT,
        outcome="granted",
    ).canonical_bytes()
    assert base64.b64decode(found["statement_base64"]) == expected
    assert found["statement"].encode("utf-8") == expected
    assert {key: found[key] for key in ("signer", "subject", "signed_at", "outcome")} == {
        "signer": "ann",
        "subject": str(SUBJECT),
        "signed_at": SIGNED_AT,
        "outcome": "granted",
    }


def test_a_personal_key_signature_of_the_decision_verifies_over_the_bytes_answered(
    client: TestClient, tmp_path: Path
) -> None:
    key = generate_personal_key(tmp_path / "ann.pem", None)
    statement = Statement(
        action="approve",
        subject=str(SUBJECT),
        artifact_digest=ARTIFACT,
        evidence_digests=tuple(EVIDENCE),
        signer="ann",
        signed_at=SIGNED_AT,
        outcome="granted",
    )
    signature = key.sign(statement)  # what `govledger sign` signs

    answered = client.post("/v1/statements", json=body()).json()

    public = load_pem_public_key(key.public_key_pem().encode())
    assert isinstance(public, Ed25519PublicKey)
    public.verify(signature, base64.b64decode(answered["statement_base64"]))


def test_signed_at_defaults_to_now_in_whole_utc_seconds(client: TestClient) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    answer = client.post("/v1/statements", json=body(signed_at=None))
    after = datetime.now(UTC)

    signed_at = answer.json()["signed_at"]
    assert signed_at.endswith("Z")
    assert before <= datetime.fromisoformat(signed_at) <= after


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        ("approve", "granted"),
        ("reject", "rejected"),
        ("revoke_approval", "revoked"),
        ("accept_risk", "accepted"),
    ],
)
def test_an_action_with_one_outcome_takes_it_when_none_is_given(
    client: TestClient, action: str, outcome: str
) -> None:
    answer = client.post("/v1/statements", json=body(action=action, outcome=None))

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == outcome


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"action": "conclude_validation", "outcome": None}, "passed or failed"),
        ({"action": "conclude_validation", "outcome": "granted"}, "passed or failed"),
        ({"action": "approve", "outcome": "passed"}, "takes granted"),
        ({"action": "deploy"}, "action"),
        ({"subject": "version-1"}, "subject"),
        ({"artifact_digest": "sha256:ABC"}, "artifact_digest"),
        ({"evidence_digests": ["md5:00"]}, "evidence_digests.0"),
        ({"signed_at": "2025-06-30T14:05:00+02:00"}, "signed_at"),
        ({"signed_at": "2025-02-30T14:05:00Z"}, "signed_at"),
        ({"signed_at": "yesterday"}, "signed_at"),
        ({"signer": "olga"}, "signer"),
        ({"private_key": "-----BEGIN PRIVATE KEY-----"}, "private_key"),
    ],
)
def test_bad_fields_are_422_naming_what_to_fix(
    client: TestClient, changes: dict[str, Any], fragment: str
) -> None:
    answer = client.post("/v1/statements", json=body(**changes))

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert fragment in answer.json()["detail"]


def test_conclude_validation_takes_passed_or_failed(client: TestClient) -> None:
    for outcome in ("passed", "failed"):
        answer = client.post(
            "/v1/statements", json=body(action="conclude_validation", outcome=outcome)
        )

        assert answer.status_code == 200, answer.text
        assert f'"outcome":"{outcome}"' in answer.json()["statement"]
