"""The whole governed life of a model over HTTP only, on SQLite and PostgreSQL.

An admin (the principal `govledger init` makes, with a token) enrols a person per role and the
public keys of those who sign; the data steward uploads the German credit data and records it;
the owner registers the model; the developer trains it here; the validator assesses it and
signs the conclusion on their own side; the developer mitigates a version that failed; two
approvers sign; the deployer takes it through dev, uat and prod; a scoring client scores rows;
the auditor asks why the version runs in prod and proves the approval's leaf. Nothing is done
through the application directly but tokens, which `govledger token create` issues.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from adapters.credit import german
from adapters.credit.generator import derived_sample, rows
from api import lifecycle
from api.cast import Cast
from api.composition import Ledger, open_ledger
from api.demo import demo_policy
from api.http.app import create_app
from api.tokens import TokenStore
from domain.rules.roles import Role
from ledger import merkle
from tests.conftest import initialise, make_settings

CAST = Cast()
SIGNING = (CAST.validator, *CAST.approvers)
AUDITOR = "aud-auditor"


@dataclass
class Api:
    """The API and each person's token and, for those who sign, their own private key."""

    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    keyids: dict[str, str] = field(default_factory=dict)

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, f"/v1{path}", headers=headers, **kwargs)

    def post(self, who: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
        answer = self.call(who, "POST", path, json=body)
        assert answer.status_code == status, f"{who} POST {path}: {answer.text}"
        return answer.json()

    def get(self, who: str, path: str, **params: Any) -> Any:
        answer = self.call(who, "GET", path, params=params)
        assert answer.status_code == 200, f"{who} GET {path}: {answer.text}"
        return answer.json()

    def signed(self, who: str, **decision: Any) -> dict[str, str]:
        """``who`` fetches the statement of a decision and signs its bytes on their side."""
        statement = self.post(who, "/statements", decision)
        signature = self.keys[who].sign(base64.b64decode(statement["statement_base64"]))
        return {
            "signature": base64.b64encode(signature).decode("ascii"),
            "keyid": self.keyids[who],
            "signed_at": statement["signed_at"],
        }


def enrol(api: Api, ledger: Ledger) -> None:
    """The admin enrols a person per role (the demo's cast) and the signers' public keys;
    each gets a token as `govledger token create` issues it."""
    settings = ledger.settings
    store = TokenStore(ledger.database)
    expires = datetime.now(UTC) + timedelta(days=1)
    api.tokens["admin"] = store.issue(settings.admin, label="e2e", expires_at=expires).secret
    for name, roles in {**CAST.roles(), AUDITOR: (Role.AUDITOR,)}.items():
        api.post("admin", "/principals", {"name": name, "roles": list(roles)}, 201)
        api.tokens[name] = store.issue(name, label="e2e", expires_at=expires).secret
    for name in SIGNING:
        key = Ed25519PrivateKey.generate()
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        registered = api.post(
            "admin", "/principals/keys", {"name": name, "public_key_pem": pem.decode()}, 201
        )
        api.keys[name], api.keyids[name] = key, registered["keyid"]
    api.post("admin", "/policy", {"document": demo_policy()})


def validate(api: Api, version_id: str) -> str:
    """The validator assesses the version and signs the conclusion; the outcome."""
    validator = CAST.validator
    api.post(validator, "/validations/start", {"version_id": version_id})
    assessed = api.post(validator, "/validations/assess", {"version_id": version_id, "seed": 7})
    outcome = "failed" if assessed["breaches"] else "passed"
    digest = version_state(api, version_id)["artifact_digest"]
    evidence = [assessed["report_digest"]]
    signature = api.signed(
        validator,
        action="conclude_validation",
        subject=version_id,
        artifact_digest=digest,
        evidence_digests=evidence,
        outcome=outcome,
    )
    api.post(
        validator,
        "/validations/conclude",
        {"version_id": version_id, "outcome": outcome, "evidence_digests": evidence, **signature},
    )
    return outcome


def version_state(api: Api, version_id: str) -> dict[str, Any]:
    """The version's state as the API answers it to the auditor."""
    model = api.get(AUDITOR, f"/models/{lifecycle.MODEL_NAME}")
    found: dict[str, Any] = next(v for v in model["versions"] if v["id"] == version_id)
    return found


class LifecycleOverHttp:
    @pytest.fixture
    def api(self, database_url: str, tmp_path: Path) -> Iterator[tuple[Api, Ledger]]:
        settings = make_settings(database_url, tmp_path / "home")
        initialise(settings)
        ledger = open_ledger(settings, with_ml=True)
        ledger.application.bootstrap_admin(settings.admin)
        try:
            with TestClient(create_app(settings, opened=ledger)) as client:
                api = Api(client)
                enrol(api, ledger)
                yield api, ledger
        finally:
            ledger.close()

    def test_a_model_is_trained_validated_approved_deployed_scored_and_explained(
        self, api: tuple[Api, Ledger]
    ) -> None:
        http, ledger = api
        cast = CAST
        content = german.german_credit_csv()
        uploaded = http.call(cast.steward, "POST", "/artifacts", content=content)
        assert uploaded.status_code == 201, uploaded.text
        dataset = http.post(
            cast.steward,
            "/datasets",
            {"name": lifecycle.DATASET_NAME, "description": german.DESCRIPTION},
            201,
        )
        frame = german.table_schema().read_csv(content)
        version = http.post(
            cast.steward,
            "/datasets/versions",
            {
                "dataset_id": dataset["id"],
                "digest": uploaded.json()["digest"],
                "row_count": len(frame),
                "columns": list(frame.columns),
                "protected_attributes": list(german.PROTECTED_ATTRIBUTES),
                "sensitivity": "confidential",
                "license": german.LICENSE,
                "schema": german.SCHEMA["columns"],
            },
            201,
        )
        model = http.post(
            cast.owner,
            "/models",
            {
                "name": lifecycle.MODEL_NAME,
                "purpose": "Decide consumer credit applications",
                "intended_use": "Retail credit decisions under human review of refusals",
                "restrictions": ["not for applicants under 18"],
                "risk_tier": "high",
            },
            201,
        )
        trained = http.post(
            cast.developer,
            "/models/versions/train",
            {
                "model_id": model["id"],
                "dataset_refs": [{"dataset_id": dataset["id"], "version": version["version"]}],
                "training_spec": lifecycle.credit_training_spec(),
                "code_version": "e2e",
            },
            201,
        )["id"]
        candidate = trained
        if validate(http, trained) == "failed":
            candidate = http.post(
                cast.developer,
                "/mitigations",
                {
                    "version_id": trained,
                    "sensitive_attribute": "age_band",
                    "method": "threshold_optimizer",
                    "seed": 42,
                    "code_version": "e2e",
                },
                201,
            )["id"]
            assert validate(http, candidate) == "passed"

        released = version_state(http, candidate)
        for environment in ("dev", "uat"):
            http.post(
                cast.deployer,
                "/deployments",
                {
                    "version_id": candidate,
                    "environment": environment,
                    "artifact_digest": released["artifact_digest"],
                },
            )
        refused = http.call(
            cast.deployer,
            "POST",
            "/deployments",
            json={
                "version_id": candidate,
                "environment": "prod",
                "artifact_digest": released["artifact_digest"],
            },
        )
        assert refused.status_code in (403, 409), refused.text
        evidence = released["validation"]["evidence"]
        for approver in cast.approvers:
            signature = http.signed(
                approver,
                action="approve",
                subject=candidate,
                artifact_digest=released["artifact_digest"],
                evidence_digests=evidence,
                outcome="granted",
            )
            http.post(
                approver,
                "/approvals",
                {
                    "version_id": candidate,
                    "artifact_digest": released["artifact_digest"],
                    "evidence_digests": evidence,
                    **signature,
                },
            )
        # The demo policy asks for UAT evidence before prod: the deployer records both kinds.
        for kind, metrics in (
            ("integration", {"mismatches": 0.0, "rows": 300.0}),
            ("performance", {"p99_ms": 5.0, "throughput_per_s": 500.0}),
        ):
            report = http.call(cast.deployer, "POST", "/artifacts", content=kind.encode())
            http.post(
                cast.deployer,
                "/deployments/uat-evidence",
                {
                    "version_id": candidate,
                    "kind": kind,
                    "metrics": metrics,
                    "evidence_digest": report.json()["digest"],
                },
            )
        http.post(
            cast.deployer,
            "/deployments",
            {
                "version_id": candidate,
                "environment": "prod",
                "artifact_digest": released["artifact_digest"],
            },
        )

        applicants = [
            {k: v for k, v in row.items() if k != german.TARGET}
            for row in rows(derived_sample(5, seed=3))
        ]
        scored = http.post(
            cast.scoring,
            f"/deployments/prod/{lifecycle.MODEL_NAME}/predict",
            {"rows": applicants},
        )
        assert scored["version_id"] == candidate
        assert len({p["id"] for p in scored["predictions"]}) == len(applicants)
        assert all(0.0 <= p["score"] <= 1.0 for p in scored["predictions"])

        ledger.checkpointer.cut()  # what `govledger serve`'s checkpoint timer does
        note = http.call(AUDITOR, "GET", "/ledger/checkpoint")
        assert note.status_code == 200
        assert note.headers["content-type"].startswith("text/plain")
        _, size_line, root_line = note.text.splitlines()[:3]
        why = http.get(AUDITOR, f"/models/{lifecycle.MODEL_NAME}/why", as_of=size_line)
        assert (why["log"]["size"], why["log"]["root"]) == (int(size_line), root_line)
        assert all(approver in str(why) for approver in cast.approvers)
        leaves = sorted(set(_cited_leaves(why)))
        assert leaves
        assert leaves[-1] < int(size_line)
        proof = http.get(AUDITOR, "/ledger/proofs/inclusion", index=leaves[-1], size=size_line)
        merkle.verify_inclusion(  # raises VerificationError unless the proof holds
            base64.b64decode(proof["leaf_hash"]),
            leaves[-1],
            int(size_line),
            [base64.b64decode(h) for h in proof["hashes"]],
            base64.b64decode(root_line),
        )


def _cited_leaves(document: Any) -> Iterator[int]:
    """Every leaf index cited anywhere in an answer (its ``sources``/``leaf`` fields)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("sources", "leaves") and isinstance(value, list):
                yield from (v for v in value if isinstance(v, int))
            elif key == "leaf" and isinstance(value, int):
                yield value
            else:
                yield from _cited_leaves(value)
    elif isinstance(document, list):
        for item in document:
            yield from _cited_leaves(item)


class OnSQLite:
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class OnPostgres:
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


class TestLifecycleOverHttpOnSQLite(OnSQLite, LifecycleOverHttp):
    pass


class TestLifecycleOverHttpOnPostgres(OnPostgres, LifecycleOverHttp):
    pass
