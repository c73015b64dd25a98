"""Fakes of the domain's ports, and a small organisation that drives the lifecycle in tests.

``HmacSignatureVerifier`` really checks signatures, with HMAC-SHA256 standing in for Ed25519:
the "public key PEM" is the person's secret, so only its holder (the test) can sign. The real
Ed25519 verifier lives in ``adapters`` and implements the same ``SignatureVerifier`` port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from eventsourcing.persistence import StoredEvent

from domain.aggregates.dataset import Dataset
from domain.application import GovernanceApplication
from domain.errors import ArtifactError, DomainError, InvalidArgumentError
from domain.ports.protocols import (
    ArtifactInspector,
    ArtifactStore,
    Assessment,
    DriftDetector,
    Explainer,
    FairnessAssessor,
    FeatureDrift,
    Mitigation,
    Mitigator,
    ModelAssessor,
    Notifier,
    Scorer,
    TrainedModel,
    Trainer,
)
from domain.rules.roles import Role
from domain.rules.statements import Statement

ARTIFACT = "sha256:" + "a" * 64
OTHER_ARTIFACT = "sha256:" + "b" * 64
EVIDENCE = ["sha256:" + "e" * 64]
SEGMENT_SUMMARY = "sha256:" + "5" * 64
"""The summary digest of every segment ``Organisation.seal_segment`` seals."""
CREDIT_DATA = b"age,sex,amount,default\n30,f,1200,0\n62,m,300,1\n45,f,800,0\n"
"""A tiny credit data set with two protected attributes, ``sex`` and ``age``."""


class HmacSignatureVerifier:
    """A SignatureVerifier whose keys are HMAC secrets written as PEM-looking text."""

    def verify(self, public_key_pem: str, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is the HMAC-SHA256 of ``message`` under the key."""
        return hmac.compare_digest(sign(public_key_pem, message), signature)

    def keyid(self, public_key_pem: str) -> str:
        """The SHA-256 of the key text, in hex."""
        return hashlib.sha256(public_key_pem.encode()).hexdigest()


def fake_key(name: str, serial: int = 1) -> str:
    """A person's fake key, distinct per name and serial."""
    return f"-----BEGIN HMAC TEST KEY-----\n{name}/{serial}\n-----END HMAC TEST KEY-----\n"


def sign(key: str, message: bytes) -> bytes:
    """What the holder of ``key`` signs ``message`` with."""
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


class FakeClock:
    """The wall clock, moved by the test: it keeps time with the events' timestamps (the
    library's wall clock), so a decision signed ``now()`` falls after what it decides on."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """The wall-clock time, moved by what the test advanced."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative ``delta``)."""
        self.offset += delta


class FakeDriftDetector:
    """A DriftDetector that reports the drift it was given and remembers what it was asked."""

    def __init__(self, per_feature: Mapping[str, FeatureDrift]) -> None:
        self.per_feature = dict(per_feature)
        self.calls: list[tuple[list[Mapping[str, object]], list[Mapping[str, object]]]] = []

    def drift(
        self, reference: Sequence[Mapping[str, object]], window: Sequence[Mapping[str, object]]
    ) -> Mapping[str, FeatureDrift]:
        """The configured drift per feature, whatever the rows."""
        self.calls.append((list(reference), list(window)))
        return self.per_feature


class FakeFairnessAssessor:
    """A FairnessAssessor that reports the metrics it was given and remembers what it assessed."""

    def __init__(self, metrics: Mapping[str, float]) -> None:
        self.metrics = dict(metrics)
        self.calls: list[tuple[list[float], list[str]]] = []

    def assess(self, predictions: Sequence[float], groups: Sequence[str]) -> Mapping[str, float]:
        """The configured metrics, whatever the predictions."""
        self.calls.append((list(predictions), list(groups)))
        return self.metrics


def sha256(content: bytes) -> str:
    """``sha256:<hex>`` of ``content``."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


class FakeArtifactStore:
    """An in-memory content-addressed ArtifactStore; ``tamper`` swaps content behind a digest."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, content: bytes) -> str:
        """Store ``content`` under its SHA-256 digest."""
        digest = sha256(content)
        self.blobs[digest] = content
        return digest

    def get(self, digest: str) -> bytes:
        """The content under ``digest``; KeyError if none."""
        return self.blobs[digest]

    def tamper(self, digest: str, content: bytes) -> None:
        """Replace what is stored under ``digest``, as an attacker with write access might."""
        self.blobs[digest] = content


ALGORITHMS = ("logistic_regression", "gradient_boosting", "random_forest")
"""The estimators ``FakeTrainer`` trains, as a real trainer's allow-list."""

FAKE_ENVIRONMENT = {"scikit-learn": "1.9.1", "environment_digest": "sha256:" + "f" * 64}


class FakeTrainer:
    """A Trainer whose artifact and reference are functions of data and spec, with fixed
    metrics and environment; it refuses a spec whose ``algorithm`` is off ``ALGORITHMS``."""

    def __init__(
        self,
        metrics: Mapping[str, float] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.metrics = dict(metrics or {"auc": 0.81, "accuracy": 0.76})
        self.environment = dict(environment or FAKE_ENVIRONMENT)
        self.calls: list[tuple[list[bytes], dict[str, object]]] = []
        self.checked: list[dict[str, object]] = []

    def check_spec(self, spec: Mapping[str, object]) -> None:
        """InvalidArgumentError for an ``algorithm`` off the allow-list."""
        self.checked.append(dict(spec))
        algorithm = spec.get("algorithm", ALGORITHMS[0])
        if algorithm not in ALGORITHMS:
            raise InvalidArgumentError(
                f"training spec algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}"
            )

    def train(self, data: Sequence[bytes], spec: Mapping[str, object]) -> TrainedModel:
        """``model:<sha256 of data and spec>``, its reference and the configured numbers."""
        self.calls.append((list(data), dict(spec)))
        return TrainedModel(
            artifact=self.artifact_for(data, spec),
            metrics=self.metrics,
            reference=self.reference_for(data),
            environment=self.environment,
        )

    @staticmethod
    def artifact_for(data: Sequence[bytes], spec: Mapping[str, object]) -> bytes:
        """The artifact ``train`` makes of ``data`` and ``spec``."""
        seen = hashlib.sha256(b"".join(data) + json.dumps(spec, sort_keys=True).encode())
        return b"model:" + seen.hexdigest().encode()

    @staticmethod
    def reference_for(data: Sequence[bytes]) -> bytes:
        """The reference statistics ``train`` gives for ``data`` (canonical JSON)."""
        return rfc8785.dumps({"rows": sum(part.count(b"\n") for part in data)})


QUALITY = {"auc_roc": 0.82, "accuracy": 0.77, "precision": 0.8, "recall": 0.9, "f1": 0.85}
FAIR = {"disparate_impact": 0.92, "equalized_odds_difference": 0.05, "selection_rate.a": 0.6}
EXPLAINABILITY = {"fidelity_mean": 0.8, "fidelity_min": 0.62, "samples": 20.0}


class FakeModelAssessor:
    """A ModelAssessor that reports configured numbers (fairness per attribute, ``FAIR`` for
    any attribute not configured) and a report of them, the artifact and the seed."""

    def __init__(
        self,
        quality: Mapping[str, float] | None = None,
        fairness: Mapping[str, Mapping[str, float]] | None = None,
        explainability: Mapping[str, float] | None = None,
    ) -> None:
        self.quality = dict(quality or QUALITY)
        self.fairness = {name: dict(metrics) for name, metrics in (fairness or {}).items()}
        self.explainability = dict(explainability or EXPLAINABILITY)
        self.calls: list[tuple[bytes, list[bytes], dict[str, object], list[str], int]] = []

    def assess(
        self,
        artifact: bytes,
        data: Sequence[bytes],
        spec: Mapping[str, object],
        *,
        protected_attributes: Sequence[str],
        seed: int,
    ) -> Assessment:
        """The configured numbers, whatever the artifact."""
        self.calls.append((artifact, list(data), dict(spec), list(protected_attributes), seed))
        fairness = {name: self.fairness.get(name, FAIR) for name in protected_attributes}
        report = {
            "artifact": sha256(artifact),
            "seed": seed,
            "quality": self.quality,
            "fairness": fairness,
            "explainability": self.explainability,
        }
        encoded = json.dumps(report, sort_keys=True).encode()  # NaN too, for the port tests
        return Assessment(self.quality, fairness, self.explainability, encoded)


MITIGATIONS = ("threshold_optimizer", "exponentiated_gradient")


class FakeMitigator:
    """A Mitigator offering ``MITIGATIONS``; its artifact is a function of its inputs."""

    def __init__(
        self,
        before: Mapping[str, float] | None = None,
        after: Mapping[str, float] | None = None,
    ) -> None:
        self.before = dict(before or {"disparate_impact": 0.6})
        self.after = dict(after or {"disparate_impact": 0.9})
        self.calls: list[tuple[bytes, str, str, int]] = []

    def mitigate(
        self,
        artifact: bytes,
        data: Sequence[bytes],
        spec: Mapping[str, object],
        *,
        sensitive_attribute: str,
        method: str,
        seed: int,
    ) -> Mitigation:
        """A derived artifact, fixed metrics and the configured fairness before and after."""
        if method not in MITIGATIONS:
            raise InvalidArgumentError(
                f"mitigation method {method!r} is not one of {', '.join(MITIGATIONS)}"
            )
        self.calls.append((artifact, sensitive_attribute, method, seed))
        made = hashlib.sha256(artifact + f"{sensitive_attribute}/{method}/{seed}".encode())
        return Mitigation(
            artifact=b"mitigated:" + made.hexdigest().encode(),
            metrics={"auc_roc": 0.79},
            before=self.before,
            after=self.after,
            parameters={"method": method, "constraint": "demographic_parity", "random_state": seed},
        )


class FakeArtifactInspector:
    """An ArtifactInspector that refuses any artifact holding ``untrusted``."""

    def __init__(self) -> None:
        self.inspected: list[bytes] = []

    def inspect(self, artifact: bytes) -> None:
        """ArtifactError naming the untrusted type if ``artifact`` holds ``untrusted``."""
        self.inspected.append(artifact)
        if b"untrusted" in artifact:
            raise ArtifactError("the artifact holds untrusted types: builtins.exec")


class FakeNotifier:
    """A Notifier that keeps what it was given, or fails (``failing``) as an outage would."""

    def __init__(self, *, failing: bool = False) -> None:
        self.failing = failing
        self.notices: list[dict[str, object]] = []

    def notify(self, notice: Mapping[str, object]) -> None:
        """Keep ``notice``; OSError when failing."""
        if self.failing:
            raise OSError("the notification queue is unavailable")
        self.notices.append(dict(notice))


class FakeScorer:
    """A Scorer that gives every row the same score and remembers what it scored."""

    def __init__(self, score: float = 0.73) -> None:
        self.score_value = score
        self.calls: list[tuple[bytes, list[Mapping[str, object]]]] = []

    def score(self, artifact: bytes, rows: Sequence[Mapping[str, object]]) -> list[float]:
        """The configured score, once per row."""
        self.calls.append((artifact, list(rows)))
        return [self.score_value] * len(rows)


class FakeExplainer:
    """An Explainer that answers the configured explanation and remembers what it explained."""

    def __init__(self, explanation: Mapping[str, object] | None = None) -> None:
        self.explanation = dict(
            explanation
            or {
                "method": "lime",
                "parameters": {"num_samples": 5000, "kernel_width": 0.75},
                "weights": {"income": 0.42, "age": -0.13},
                "fidelity": 0.87,
            }
        )
        self.calls: list[tuple[bytes, Mapping[str, object], int]] = []

    def explain(
        self, artifact: bytes, row: Mapping[str, object], *, seed: int
    ) -> Mapping[str, object]:
        """The configured explanation, whatever the row."""
        self.calls.append((artifact, row, seed))
        return self.explanation


CAST: dict[str, tuple[Role, ...]] = {
    "olga": (Role.MODEL_OWNER,),
    "dev": (Role.MODEL_DEVELOPER,),
    "vera": (Role.VALIDATOR,),
    "ann": (Role.APPROVER,),
    "abe": (Role.APPROVER,),
    "dee": (Role.DEPLOYER,),
    "mon": (Role.MONITOR,),
    "stu": (Role.DATA_STEWARD,),
    "aud": (Role.AUDITOR,),
    # Holds every lifecycle role, so only segregation of duties can stop it.
    "max": (Role.MODEL_DEVELOPER, Role.VALIDATOR, Role.APPROVER),
}
"""The people of the test organisation and their roles; ``root`` is the admin."""


class Organisation:
    """The cast of ``CAST`` acting on an application through its commands."""

    def __init__(self, app: GovernanceApplication, clock: FakeClock) -> None:
        self.app = app
        self.clock = clock
        self.keys: dict[str, str] = {}
        app.bootstrap_admin("root")
        for name, roles in CAST.items():
            app.register_principal(actor="root", name=name, roles=list(roles))
            self.keys[name] = fake_key(name)
            app.register_key(actor="root", name=name, public_key_pem=self.keys[name])

    def keyid(self, name: str) -> str:
        return HmacSignatureVerifier().keyid(self.keys[name])

    def signed(self, actor: str, statement: Statement) -> dict[str, Any]:
        """The signature arguments of a command: ``actor`` signs ``statement``."""
        return {
            "signature": sign(self.keys[actor], statement.canonical_bytes()),
            "keyid": self.keyid(actor),
            "signed_at": statement.signed_at,
        }

    def statement(self, actor: str, action: str, subject: UUID, **fields: Any) -> Statement:
        return Statement(
            action=action,
            subject=str(subject),
            artifact_digest=fields.get("artifact_digest", ARTIFACT),
            evidence_digests=tuple(EVIDENCE),
            signer=actor,
            signed_at=self.clock.now().isoformat(),
            outcome=fields.get("outcome", ""),
        )

    def register_model(self, name: str = "credit", risk_tier: str = "high") -> UUID:
        return self.app.register_model(
            actor="olga",
            name=name,
            purpose="score loan applications",
            intended_use="decision support for credit officers",
            restrictions=["not for automated rejection"],
            risk_tier=risk_tier,
        )

    def train(
        self,
        model_id: UUID,
        *,
        actor: str = "dev",
        artifact: str = ARTIFACT,
        derived_from: UUID | None = None,
    ) -> UUID:
        return self.app.train_model_version(
            actor=actor,
            model_id=model_id,
            dataset_versions=["credit-data:1"],
            training_spec={"algorithm": "logistic_regression", "C": 1.0, "seed": 7},
            code_version="git:0123abc",
            environment={"python": "3.11", "scikit-learn": "1.5.2"},
            artifact_digest=artifact,
            metrics={"auc": 0.81, "accuracy": 0.76},
            derived_from=derived_from,
        )

    def conclude(self, version_id: UUID, validator: str, outcome: str = "passed") -> None:
        artifact = self.app.get_model_version(version_id).artifact_digest
        statement = self.statement(
            validator, "conclude_validation", version_id, outcome=outcome, artifact_digest=artifact
        )
        self.app.conclude_validation(
            actor=validator,
            version_id=version_id,
            outcome=outcome,
            evidence_digests=EVIDENCE,
            **self.signed(validator, statement),
        )

    def validate(self, version_id: UUID, validator: str = "vera", outcome: str = "passed") -> None:
        self.app.start_validation(actor=validator, version_id=version_id)
        self.conclude(version_id, validator, outcome)

    def decision(self, approver: str, version_id: UUID, *, granted: bool = True) -> dict[str, Any]:
        """The arguments of an approver's signed decision on the version's artifact."""
        artifact = self.app.get_model_version(version_id).artifact_digest
        statement = self.statement(
            approver,
            "approve" if granted else "reject",
            version_id,
            outcome="granted" if granted else "rejected",
            artifact_digest=artifact,
        )
        return {
            "actor": approver,
            "version_id": version_id,
            "artifact_digest": artifact,
            "evidence_digests": EVIDENCE,
            **self.signed(approver, statement),
        }

    def approve(self, version_id: UUID, *approvers: str) -> None:
        for approver in approvers or ("ann", "abe"):
            self.app.grant_approval(**self.decision(approver, version_id))

    def reject(self, version_id: UUID, approver: str = "ann") -> None:
        self.app.reject_approval(**self.decision(approver, version_id, granted=False))

    def revocation(
        self, approver: str, version_id: UUID, reason: str = "the holdout leaked into training"
    ) -> dict[str, Any]:
        """The arguments of ``approver``'s signed revocation of their approval of the version's
        artifact."""
        artifact = self.app.get_model_version(version_id).artifact_digest
        statement = self.statement(
            approver, "revoke_approval", version_id, outcome="revoked", artifact_digest=artifact
        )
        return {
            "actor": approver,
            "version_id": version_id,
            "artifact_digest": artifact,
            "reason": reason,
            "evidence_digests": EVIDENCE,
            **self.signed(approver, statement),
        }

    def revoke(self, version_id: UUID, approver: str = "ann") -> None:
        self.app.revoke_approval(**self.revocation(approver, version_id))

    def deploy(self, version_id: UUID, environment: str, artifact: str | None = None) -> None:
        digest = artifact or self.app.get_model_version(version_id).artifact_digest
        self.app.deploy(
            actor="dee", version_id=version_id, environment=environment, artifact_digest=digest
        )

    def released(self, risk_tier: str = "high") -> UUID:
        """A validated, approved version of a new model, not deployed yet."""
        version_id = self.train(self.register_model(risk_tier=risk_tier))
        self.validate(version_id)
        self.approve(version_id)
        return version_id

    def add_data(
        self, content: bytes = CREDIT_DATA, protected: Sequence[str] = ("sex", "age")
    ) -> UUID:
        """A dataset ``credit-data`` whose version 1 is ``content``, put in the artifact store."""
        assert self.app.artifacts is not None
        dataset_id = self.app.register_dataset(name="credit-data", description="loans", actor="stu")
        self.app.add_dataset_version(
            dataset_id,
            digest=self.app.artifacts.put(content),
            row_count=content.count(b"\n") - 1,
            columns=content.split(b"\n", 1)[0].decode().split(","),
            protected_attributes=list(protected),
            sensitivity="confidential",
            actor="stu",
        )
        return dataset_id

    def train_from_data(self, model_id: UUID | None = None, **spec: object) -> UUID:
        """A version of ``credit`` (registered if ``model_id`` is None) trained on version 1 of
        ``credit-data`` (added if missing)."""
        model_id = model_id or self.register_model()
        dataset_id = Dataset.create_id("credit-data")
        try:
            self.app.get_dataset(dataset_id)
        except DomainError:
            dataset_id = self.add_data()
        return self.app.train_model_version_from_data(
            actor="dev",
            model_id=model_id,
            dataset_refs=[(dataset_id, 1)],
            training_spec={"algorithm": "logistic_regression", "seed": 7, **spec},
            code_version="git:0123abc",
            environment={"python": "3.11"},
        )

    def seal_segment(
        self,
        version_id: UUID,
        *,
        sequence: int = 1,
        environment: str = "prod",
        actor: str = "mon",
        merkle_root: str = "cd" * 32,
    ) -> str:
        """Seal prediction segment ``sequence`` (100 records a sequence, within minute
        ``sequence`` past 10:00 on 2026-11-30) of a version in ``environment``; its digest."""
        digest = "sha256:" + f"{sequence:02x}" * 32
        self.app.seal_prediction_segment(
            actor=actor,
            version_id=version_id,
            environment=environment,
            kind="prediction",
            sequence=sequence,
            digest=digest,
            record_count=100 * sequence,
            first_id=f"p-{sequence}-1",
            last_id=f"p-{sequence}-100",
            start=f"2026-11-30T10:{sequence:02d}:00+00:00",
            end=f"2026-11-30T10:{sequence:02d}:59+00:00",
            merkle_root=merkle_root,
            summary_digest=SEGMENT_SUMMARY,
        )
        return digest

    def raise_finding(self, version_id: UUID, severity: str = "high") -> UUID:
        return self.app.raise_finding(
            actor="vera", version_id=version_id, severity=severity, title="bias", due="2025-03-31"
        )

    def accept_risk_arguments(self, approver: str, finding_id: UUID) -> dict[str, Any]:
        finding = self.app.get_finding(finding_id)
        artifact = self.app.get_model_version(finding.model_version_id).artifact_digest
        statement = self.statement(
            approver, "accept_risk", finding_id, outcome="accepted", artifact_digest=artifact
        )
        return {
            "actor": approver,
            "finding_id": finding_id,
            "rationale": "compensating control: manual review",
            "evidence_digests": EVIDENCE,
            **self.signed(approver, statement),
        }


def topics(app: GovernanceApplication) -> list[str]:
    """The short topic of every recorded event, in order."""
    return [
        n.topic.rsplit(".", 1)[-1]
        for n in app.recorder.select_notifications(start=None, limit=10_000)
    ]


def event_state(stored: StoredEvent) -> bytes:
    """The state of a stored event as the application's mapper encoded it, on either store.

    The in-memory store keeps the mapper's JSON as it is; the signed store keeps a DSSE envelope
    whose payload signs it (the ledger's tests check the envelope; this only unwraps it), in
    canonical JSON (RFC 8785), as the signed mapper encodes it.
    """
    document = json.loads(stored.state)
    if not (isinstance(document, dict) and "payloadType" in document):
        return stored.state
    payload = json.loads(base64.b64decode(document["payload"], validate=True))
    return rfc8785.dumps(payload["state"])


@contextmanager
def refused(app: GovernanceApplication, error: type[DomainError], match: str) -> Iterator[None]:
    """Expect the block's command to raise ``error`` and record exactly one CommandRefused."""
    before = topics(app)
    with pytest.raises(error, match=match):
        yield
    assert topics(app) == [*before, "CommandRefused"]


NewOrganisation = Callable[..., "Organisation"]
"""The ``new_organisation`` fixture: ports as keyword arguments, an organisation on the store."""

IN_MEMORY_ENV: Mapping[str, str] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
"""The persistence environment of eventsourcing's in-memory store."""


def organisation_on(
    env: Mapping[str, str],
    *,
    drift_detector: DriftDetector | None = None,
    fairness_assessor: FairnessAssessor | None = None,
    artifacts: ArtifactStore | None = None,
    trainer: Trainer | None = None,
    scorer: Scorer | None = None,
    explainer: Explainer | None = None,
    assessor: ModelAssessor | None = None,
    mitigator: Mitigator | None = None,
    inspector: ArtifactInspector | None = None,
    notifier: Notifier | None = None,
) -> Organisation:
    """An organisation on a fresh application over the store ``env`` names, fakes as its ports."""
    clock = FakeClock()
    app = GovernanceApplication(
        env=env,
        signatures=HmacSignatureVerifier(),
        clock=clock,
        drift_detector=drift_detector,
        fairness_assessor=fairness_assessor,
        artifacts=artifacts,
        trainer=trainer,
        scorer=scorer,
        explainer=explainer,
        assessor=assessor,
        mitigator=mitigator,
        inspector=inspector,
        notifier=notifier,
    )
    return Organisation(app, clock)
