"""Decisions over HTTP, with personal signatures made on the signer's side, on both engines.

A validator and two approvers each hold an Ed25519 key on their own machine (a PEM file here); an
admin registered only its public key. They fetch the canonical statement of their decision from
``POST /v1/statements``, sign its bytes locally (with the key file directly, or with ``govledger
sign``) and hand the signature in with the command. The life of a version runs through the API:
validation, approvals, the gates of dev, uat and prod, monitoring, findings, an explanation, a
rollback, a revocation and retirement, each step checked on the ledger. Refusals answer their
one status and are recorded; no private key ever reaches the server or its database.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import BaseModel

from adapters.artifacts.file_store import FileArtifactStore
from adapters.credit import german
from adapters.personal_signing import generate_personal_key
from api import lifecycle
from api.cast import Cast, enrol_cast
from api.cli import main
from api.composition import Ledger, open_ledger
from api.database import Database
from api.http.app import create_app
from api.http.routes.statements import StatementRequest
from api.registry import approvals, findings, validation
from api.settings import Settings
from api.tokens import TokenStore
from domain.aggregates.model_version import ModelVersion
from domain.rules.roles import Role
from tests.integration.raw_access import raw_access_for
from tests.unit.fakes import topics

ARTIFACT = "sha256:" + "a1" * 32
EVIDENCE = ["sha256:" + "e" * 64]
CITED = {"artifact_digest": ARTIFACT, "evidence_digests": EVIDENCE}
PEOPLE: dict[str, tuple[Role, ...]] = {
    "olga": (Role.MODEL_OWNER,),
    # The developer also holds APPROVER: only segregation of duties stops a self-approval.
    "dev": (Role.MODEL_DEVELOPER, Role.APPROVER),
    "vera": (Role.VALIDATOR,),
    "ann": (Role.APPROVER,),
    "abe": (Role.APPROVER,),
    "dee": (Role.DEPLOYER,),
    "mona": (Role.MONITOR,),
    "aud": (Role.AUDITOR,),
}
SIGNERS = ("dev", "vera", "ann", "abe")


@dataclass
class World:
    """The API over the ledger, a token per person and each signer's key file."""

    client: TestClient
    ledger: Ledger
    tokens: dict[str, str]
    keys: dict[str, Path]
    version_id: UUID

    def post(self, who: str, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"/v1{path}", json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )

    def ok(self, who: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
        answer = self.post(who, path, body)
        assert answer.status_code == status, answer.text
        return answer.json()

    def statement(self, who: str, **fields: Any) -> dict[str, Any]:
        """The statement ``who`` is to sign, fetched from the server."""
        found: dict[str, Any] = self.ok(who, "/statements", fields)
        return found

    def sign_locally(self, who: str, statement: dict[str, Any]) -> dict[str, str]:
        """The signature fields of a command: ``who`` signs the bytes with their own key file."""
        private = serialization.load_pem_private_key(self.keys[who].read_bytes(), None)
        assert isinstance(private, Ed25519PrivateKey)
        signature = private.sign(base64.b64decode(statement["statement_base64"]))
        return {
            "signature": base64.b64encode(signature).decode("ascii"),
            "keyid": self.keyid(who),
            "signed_at": statement["signed_at"],
        }

    def keyid(self, who: str) -> str:
        (keyid,) = self.ledger.application.get_principal(who).keys
        return keyid

    def signed(self, who: str, **fields: Any) -> dict[str, str]:
        """Fetch the statement of a decision and sign it on ``who``'s side."""
        return self.sign_locally(who, self.statement(who, **fields))

    def version(self) -> ModelVersion:
        return self.ledger.application.get_model_version(self.version_id)


def govledger_sign(
    key: Path, capsys: pytest.CaptureFixture[str], signer: str, **fields: Any
) -> dict[str, Any]:
    """What `govledger sign` prints for a decision."""
    capsys.readouterr()
    arguments = [
        *("sign", "--key", str(key), "--signer", signer),
        *("--action", fields["action"], "--subject", str(fields["subject"])),
        *("--artifact-digest", fields["artifact_digest"], "--outcome", fields["outcome"]),
        *(arg for digest in fields["evidence_digests"] for arg in ("--evidence-digest", digest)),
    ]
    assert main(arguments) == 0
    printed: dict[str, Any] = json.loads(capsys.readouterr().out)
    return printed


class HttpDecisionsContract:
    @pytest.fixture
    def world(self, ledger: Ledger, tmp_path: Path) -> Iterator[World]:
        application = ledger.application
        application.bootstrap_admin("root")
        store = TokenStore(ledger.database)
        expires = datetime.now(UTC) + timedelta(days=1)
        tokens, keys = {}, {}
        for name, roles in PEOPLE.items():
            application.register_principal(actor="root", name=name, roles=list(roles))
            tokens[name] = store.issue(name, label="test", expires_at=expires).secret
        for name in SIGNERS:
            keys[name] = tmp_path / "machines" / name / "key.pem"
            keys[name].parent.mkdir(parents=True)
            public = generate_personal_key(keys[name], None).public_key_pem()
            application.register_key(actor="root", name=name, public_key_pem=public)
        model_id = application.register_model(
            actor="olga",
            name="credit",
            purpose="score loan applications",
            intended_use="decision support",
            restrictions=[],
            risk_tier="high",
        )
        version_id = application.train_model_version(
            actor="dev",
            model_id=model_id,
            dataset_versions=["credit-data:1"],
            training_spec={"algorithm": "logistic_regression", "seed": 7},
            code_version="git:0123abc",
            environment={"python": "3.11"},
            artifact_digest=ARTIFACT,
            metrics={"auc": 0.81},
        )
        app = create_app(ledger.settings, opened=ledger)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield World(client, ledger, tokens, keys, version_id)

    @pytest.fixture
    def validated(self, world: World) -> World:
        """The version validated, passed, by vera's locally made signature."""
        subject = str(world.version_id)
        world.ok("vera", "/validations/start", {"version_id": subject})
        signed = world.signed(
            "vera", action="conclude_validation", subject=subject, outcome="passed", **CITED
        )
        conclusion = {"version_id": subject, "outcome": "passed", "evidence_digests": EVIDENCE}
        world.ok("vera", "/validations/conclude", {**conclusion, **signed})
        return world

    @pytest.fixture
    def in_prod(self, validated: World) -> World:
        """The version approved by ann and abe and deployed to dev, uat and prod."""
        world, subject = validated, str(validated.version_id)
        for approver in ("ann", "abe"):
            signed = world.signed(approver, action="approve", subject=subject, **CITED)
            world.ok(approver, "/approvals", {"version_id": subject, **CITED, **signed})
        for environment in ("dev", "uat", "prod"):
            deployment = {"version_id": subject, "environment": environment}
            world.ok("dee", "/deployments", {**deployment, "artifact_digest": ARTIFACT})
        return world

    def refused(
        self, world: World, who: str, request: tuple[str, dict[str, Any]], *, status: int, code: str
    ) -> str:
        """Post a command that must be refused: its status and code, one CommandRefused."""
        before = topics(world.ledger.application)
        answer = world.post(who, *request)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"] == code, answer.json()
        assert topics(world.ledger.application) == [*before, "CommandRefused"]
        return str(answer.json()["detail"])

    def test_a_validation_is_concluded_with_a_signature_made_client_side(
        self, world: World
    ) -> None:
        subject = str(world.version_id)

        assert world.ok("vera", "/validations/start", {"version_id": subject}) == {}
        assert world.version().validator == "vera"
        statement = world.statement(
            "vera", action="conclude_validation", subject=subject, outcome="passed", **CITED
        )
        signed = world.sign_locally("vera", statement)
        concluded = {"version_id": subject, "outcome": "passed", "evidence_digests": EVIDENCE}
        assert world.ok("vera", "/validations/conclude", {**concluded, **signed}) == {}

        assert statement["signer"] == "vera"
        assert base64.b64decode(statement["statement_base64"]) == statement["statement"].encode()
        assert world.version().validation_passed
        signature = world.version().validation_signed
        assert signature is not None
        assert (signature.keyid, signature.signed_at) == (world.keyid("vera"), signed["signed_at"])

    def test_approvals_open_the_prod_gate_dev_and_uat_need_only_the_validation(
        self, validated: World, capsys: pytest.CaptureFixture[str]
    ) -> None:
        world, subject = validated, str(validated.version_id)
        for environment in ("dev", "uat"):
            deployment = {"version_id": subject, "environment": environment}
            world.ok("dee", "/deployments", {**deployment, "artifact_digest": ARTIFACT})
        assert world.version().environments == {"dev", "uat"}
        to_prod = {"version_id": subject, "environment": "prod", "artifact_digest": ARTIFACT}
        decision = {"action": "approve", "subject": subject, **CITED}
        approved = {"version_id": subject, **CITED}

        detail = self.refused(
            world, "dee", ("/deployments", to_prod), status=409, code="gate_not_passed"
        )
        world.ok("ann", "/approvals", {**approved, **world.signed("ann", **decision)})
        assert world.version().approvers_of(ARTIFACT) == {"ann"}
        # abe hands in exactly what `govledger sign` prints, as a person without the API would.
        printed = govledger_sign(world.keys["abe"], capsys, "abe", outcome="granted", **decision)
        from_sign = {key: printed[key] for key in ("signature", "keyid", "signed_at")}
        world.ok("abe", "/approvals", {**approved, **from_sign})
        world.ok("dee", "/deployments", to_prod)

        assert "prod needs 2 distinct approver(s)" in detail
        served = world.statement("abe", **decision, signed_at=printed["signed_at"])
        assert printed["statement"] == served["statement"]
        assert world.version().approvers_of(ARTIFACT) == {"ann", "abe"}
        assert world.version().environments == {"dev", "uat", "prod"}

    def test_monitoring_raises_a_finding_whose_risk_an_approver_accepts_signed(
        self, in_prod: World
    ) -> None:
        world, subject = in_prod, str(in_prod.version_id)
        application = world.ledger.application
        watched = {"version_id": subject, "kind": "quality", "environment": "prod"}
        degraded = {"version_id": subject, "environment": "prod", "metrics": {"quality_ratio": 0.5}}

        monitor_id = world.ok("olga", "/monitors", watched, 201)["id"]
        raised = world.ok("mona", "/monitoring/results", degraded)["finding_id"]
        accepted = world.signed("ann", action="accept_risk", subject=raised, **CITED)
        risk = {"finding_id": raised, "rationale": "seasonal dip", "evidence_digests": EVIDENCE}
        world.ok("ann", "/findings/accept-risk", {**risk, **accepted})
        risk_accepted_by = application.get_finding(UUID(raised)).risk_accepted_by
        world.ok("vera", "/findings/close", {"finding_id": raised})

        assert application.get_monitor(UUID(monitor_id)).kind == "quality"
        assert world.version().monitoring_breaches == ["quality ratio 0.5 < 0.8"]
        finding = application.get_finding(UUID(raised))
        assert (finding.severity, finding.source) == ("high", "monitoring")
        assert (risk_accepted_by, finding.status) == ("ann", "closed")

    def test_a_finding_is_raised_assigned_remediated_and_closed(self, in_prod: World) -> None:
        world, subject = in_prod, str(in_prod.version_id)
        due = (date.today() + timedelta(days=30)).isoformat()
        finding = {"version_id": subject, "severity": "medium", "title": "thin docs", "due": due}
        fixed = {"description": "documented", "evidence_digests": EVIDENCE}

        finding_id = world.ok("vera", "/findings", finding, 201)["id"]
        world.ok("olga", "/findings/assign", {"finding_id": finding_id, "assignee": "dev"})
        world.ok("dev", "/findings/remediate", {"finding_id": finding_id, **fixed})
        remediated = world.ledger.application.get_finding(UUID(finding_id)).status
        world.ok("vera", "/findings/close", {"finding_id": finding_id})

        closed = world.ledger.application.get_finding(UUID(finding_id))
        assert (closed.title, closed.severity, closed.due) == ("thin docs", "medium", due)
        assert (closed.assignee, remediated, closed.status) == ("dev", "remediated", "closed")
        assert UUID(finding_id) in world.version().finding_ids

    def test_an_explanation_a_rollback_a_revocation_and_retirement(self, in_prod: World) -> None:
        world, subject = in_prod, str(in_prod.version_id)
        explained = {
            "version_id": subject,
            "prediction_ref": "prediction-1",
            "method": "lime",
            "parameters": {"num_samples": 500},
            "seed": 3,
            "weights_digest": "sha256:" + "b2" * 32,
            "fidelity": 0.9,
        }
        revocation = world.signed("abe", action="revoke_approval", subject=subject, **CITED)
        revoked = {"version_id": subject, **CITED, "reason": "data issue", **revocation}

        explanation_id = world.ok("mona", "/explanations", explained, 201)["id"]
        world.ok("dee", "/deployments/roll-back", {"version_id": subject, "environment": "prod"})
        after_rollback = set(world.version().environments)
        world.ok("abe", "/approvals/revoke", revoked)
        world.ok("dee", "/deployments/retire", {"version_id": subject})

        explanation = world.ledger.application.get_explanation(UUID(explanation_id))
        assert (explanation.prediction_ref, explanation.fidelity) == ("prediction-1", 0.9)
        assert after_rollback == {"dev", "uat"}
        assert world.version().approvers_of(ARTIFACT) == {"ann"}
        assert world.version().retired
        assert world.version().environments == set()

    def test_a_signed_rejection_keeps_the_version_out_of_prod(self, validated: World) -> None:
        world, subject = validated, str(validated.version_id)
        signed = world.signed("ann", action="reject", subject=subject, **CITED)
        to_prod = {"version_id": subject, "environment": "prod", "artifact_digest": ARTIFACT}

        world.ok("ann", "/approvals/reject", {"version_id": subject, **CITED, **signed})
        detail = self.refused(
            world, "dee", ("/deployments", to_prod), status=409, code="invalid_state"
        )

        assert world.version().rejected
        assert "was rejected" in detail

    def test_uat_evidence_sealed_segments_and_a_window_recorded(self, validated: World) -> None:
        world, subject = validated, str(validated.version_id)
        for environment in ("dev", "uat"):
            deployment = {"version_id": subject, "environment": environment}
            world.ok("dee", "/deployments", {**deployment, "artifact_digest": ARTIFACT})
        uat = {"version_id": subject, "evidence_digest": "sha256:" + "c3" * 32}
        segment = {
            "version_id": subject,
            "environment": "uat",
            "kind": "prediction",
            "sequence": 1,
            "digest": "sha256:" + "d4" * 32,
            "record_count": 3,
            "first_id": "p-1",
            "last_id": "p-3",
            "start": "2025-06-30T10:00:00Z",
            "end": "2025-06-30T10:05:00Z",
            "merkle_root": "f5" * 32,
            "summary_digest": "sha256:" + "a6" * 32,
        }
        window = {
            "version_id": subject,
            "environment": "uat",
            "start": "2025-06-30T10:00:00Z",
            "end": "2025-06-30T11:00:00Z",
            "metrics": {"quality_ratio": 0.5},
            "segments": [segment["digest"]],
        }

        integration = {"kind": "integration", "metrics": {"rows": 100, "mismatches": 0}}
        passed = world.ok("dee", "/deployments/uat-evidence", {**uat, **integration})
        slow = {"kind": "performance", "metrics": {"p99_ms": 80, "throughput_per_s": 500}}
        failed = world.ok("dee", "/deployments/uat-evidence", {**uat, **slow})
        sealed = world.ok("mona", "/prediction-segments", segment)
        judged = world.ok("mona", "/monitoring/windows", window)

        assert (passed, failed, sealed) == ({"passed": True}, {"passed": False}, {"sequence": 1})
        assert world.version().passed_uat("integration", ARTIFACT)
        assert not world.version().passed_uat("performance", ARTIFACT)
        assert judged["breaches"] == ["quality ratio 0.5 < 0.8"]
        assert (judged["flags"], judged["finding_id"]) == (["QualityDegraded"], None)
        assert world.version().monitoring_windows == 1

    def test_a_signature_over_other_bytes_is_422_and_the_refusal_recorded(
        self, validated: World
    ) -> None:
        world, subject = validated, str(validated.version_id)
        # ann's genuine signature, but of a rejection: not the bytes of an approval.
        rejection = world.signed("ann", action="reject", subject=subject, **CITED)
        approved = {"version_id": subject, **CITED, **rejection}

        detail = self.refused(
            world, "ann", ("/approvals", approved), status=422, code="invalid_signature"
        )

        assert "does not verify over the approve statement" in detail
        assert world.version().approvers_of(ARTIFACT) == set()

    def test_approving_ones_own_version_is_403_segregation_of_duties(
        self, validated: World
    ) -> None:
        world, subject = validated, str(validated.version_id)
        signed = world.signed("dev", action="approve", subject=subject, **CITED)
        approved = {"version_id": subject, **CITED, **signed}

        self.refused(
            world, "dev", ("/approvals", approved), status=403, code="segregation_of_duties"
        )

        assert world.version().approvers_of(ARTIFACT) == set()

    def test_a_gate_not_passed_is_409(self, world: World) -> None:
        to_uat = {
            "version_id": str(world.version_id),
            "environment": "uat",
            "artifact_digest": ARTIFACT,
        }

        detail = self.refused(
            world, "dee", ("/deployments", to_uat), status=409, code="gate_not_passed"
        )

        assert "uat needs a passed validation" in detail
        assert world.version().environments == set()

    def test_a_command_outside_the_callers_roles_is_403_and_recorded(self, world: World) -> None:
        to_dev = {"version_id": str(world.version_id), "environment": "dev"}
        deploy = ("/deployments", {**to_dev, "artifact_digest": ARTIFACT})

        self.refused(world, "aud", deploy, status=403, code="not_authorized")
        statement = {"action": "approve", "subject": str(world.version_id), **CITED}
        answer = world.post("dee", "/statements", statement)

        assert world.version().environments == set()
        assert answer.status_code == 403, answer.text

    def test_an_unknown_version_is_404(self, world: World) -> None:
        unknown = str(uuid4())

        start = ("/validations/start", {"version_id": unknown})

        detail = self.refused(world, "vera", start, status=404, code="not_found")

        assert unknown in detail

    def test_no_private_key_reaches_the_server_or_its_database(self, validated: World) -> None:
        world, subject = validated, str(validated.version_id)
        signed = world.signed("ann", action="approve", subject=subject, **CITED)
        world.ok("ann", "/approvals", {"version_id": subject, **CITED, **signed})
        requests: list[type[BaseModel]] = [
            validation.ValidationConclusion,
            approvals.ApprovalGrant,
            approvals.ApprovalRejection,
            approvals.ApprovalRevocation,
            findings.RiskAcceptance,
            StatementRequest,
        ]
        fields = {name for request in requests for name in request.model_fields}

        stored = everything_stored(world.ledger.database)

        assert {name for name in fields if "private" in name or "pem" in name} == set()
        assert signed["signature"].encode() in stored  # the scan reads what was recorded
        for name in SIGNERS:
            for secret in private_forms(world.keys[name]):
                assert secret not in stored, f"{name}'s private key is in the database"


def credit_rows(count: int) -> list[dict[str, Any]]:
    """The first ``count`` applications of the German credit data, as a client would send them."""
    text = german.german_credit_csv().decode("utf-8")
    rows = list(itertools.islice(csv.DictReader(io.StringIO(text)), count))
    for row in rows:
        del row[german.TARGET]
        for feature in german.NUMERIC_FEATURES:
            row[feature] = int(row[feature])
    return rows


class HttpMachineLearningContract:
    """The commands that run the ML adapters, over HTTP, on a version trained on real data."""

    @pytest.fixture
    def ledger(self, settings: Settings, database: Database) -> Iterator[Ledger]:
        opened = open_ledger(settings, with_ml=True)  # as `govledger serve` opens it
        yield opened
        opened.close()

    @pytest.fixture
    def trained(self, ledger: Ledger) -> Iterator[tuple[TestClient, dict[str, str], UUID]]:
        """The API, a token per person of the demo's cast, and a version trained on data."""
        application, home = ledger.application, ledger.settings.home
        application.bootstrap_admin(ledger.settings.admin)
        cast = Cast()
        enrol_cast(application, admin=ledger.settings.admin, cast=cast, keys=home / "people")
        store = FileArtifactStore.in_home(home)
        data = lifecycle.register_credit_data(application, cast, store, german.german_credit_csv())
        model_id = lifecycle.register_credit_model(application, cast)
        spec = lifecycle.credit_training_spec()
        version_id = lifecycle.train(application, cast, model_id, [data], spec)
        tokens = TokenStore(ledger.database)
        expires = datetime.now(UTC) + timedelta(days=1)
        people = (cast.owner, cast.developer, cast.validator, cast.deployer, cast.monitor)
        headers = {
            name: f"Bearer {tokens.issue(name, label='test', expires_at=expires).secret}"
            for name in people
        }
        with TestClient(create_app(ledger.settings, opened=ledger)) as client:
            yield client, headers, version_id

    def test_assess_mitigate_explain_and_evaluate_a_window_over_http(
        self, ledger: Ledger, trained: tuple[TestClient, dict[str, str], UUID]
    ) -> None:
        client, headers, version_id = trained
        cast, application, subject = Cast(), ledger.application, str(version_id)
        artifact = application.get_model_version(version_id).artifact_digest

        def ok(who: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
            answer = client.post(f"/v1{path}", json=body, headers={"Authorization": headers[who]})
            assert answer.status_code == status, answer.text
            return answer.json()

        ok(cast.validator, "/validations/start", {"version_id": subject})
        assessed = ok(cast.validator, "/validations/assess", {"version_id": subject, "seed": 7})
        mitigation = {
            "version_id": subject,
            "sensitive_attribute": "age_band",
            "method": "threshold_optimizer",
            "seed": 42,
            "code_version": "git:0123abc",
        }
        mitigated = ok(cast.developer, "/mitigations", mitigation, 201)["id"]
        to_dev = {"version_id": subject, "environment": "dev", "artifact_digest": artifact}
        ok(cast.deployer, "/deployments", to_dev)
        row = credit_rows(1)[0]
        explain = {"version_id": subject, "prediction_ref": "p-1", "row": row, "seed": 11}
        explanation_id = ok(cast.monitor, "/explanations/compute", explain, 201)["id"]
        watched = {"version_id": subject, "kind": "drift", "environment": "dev"}
        monitor_id = ok(cast.owner, "/monitors", watched, 201)["id"]
        rows = credit_rows(200)
        window = {
            "monitor_id": monitor_id,
            "start": "2025-06-30T10:00:00Z",
            "end": "2025-06-30T11:00:00Z",
            "reference_rows": rows[:100],
            "window_rows": rows[100:],
        }
        evaluated = ok(cast.monitor, "/monitoring/windows/evaluate", window)

        version = application.get_model_version(version_id)
        assert version.assessment_reports == [assessed["report_digest"]]
        assert [str(f) for f in version.finding_ids] == assessed["finding_ids"]
        assert len(assessed["finding_ids"]) == len(assessed["breaches"])
        derived = application.get_model_version(UUID(mitigated))
        assert derived.derived_from == subject
        assert derived.mitigation["sensitive_attribute"] == "age_band"
        explanation = application.get_explanation(UUID(explanation_id))
        assert explanation.prediction_ref == "p-1"
        assert "predicted_score" in explanation.parameters
        assert evaluated == {"finding_id": None}  # only a breach in prod raises a finding
        assert application.get_monitor(UUID(monitor_id)).windows == 1


def private_forms(key_file: Path) -> list[bytes]:
    """The ways a private key could be written: raw, hex, base64, its PEM body, its DER."""
    private = serialization.load_pem_private_key(key_file.read_bytes(), None)
    assert isinstance(private, Ed25519PrivateKey)
    raw = private.private_bytes_raw()
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem_body = b"".join(key_file.read_bytes().splitlines()[1:-1])
    return [raw, raw.hex().encode(), base64.b64encode(raw), der, pem_body]


def everything_stored(database: Database) -> bytes:
    """Every value of every table of the database as bytes, with DSSE payloads unwrapped."""
    raw = raw_access_for(database)
    if database.engine == "sqlite":
        tables = [
            row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
    else:
        tables = [
            f'"{schema}"."{name}"'
            for schema, name in raw.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
        ]
    assert tables
    values: list[bytes] = []
    for table in tables:
        for row in raw.execute(f"SELECT * FROM {table}"):
            values.extend(_with_payload(value) for value in row)
    return b"\0".join(values)


def _with_payload(value: object) -> bytes:
    """``value`` as bytes, followed by the decoded payload if it is a DSSE envelope."""
    if not isinstance(value, bytes | bytearray | memoryview):
        return str(value).encode()
    content = bytes(value)
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return content
    if isinstance(document, dict) and "payload" in document:
        return content + b"\0" + base64.b64decode(document["payload"])
    return content


class TestHttpDecisionsOnSQLite(HttpDecisionsContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestHttpDecisionsOnPostgres(HttpDecisionsContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


class TestHttpMachineLearningOnSQLite(HttpMachineLearningContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestHttpMachineLearningOnPostgres(HttpMachineLearningContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
