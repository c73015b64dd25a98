"""The governed life of a model, step by step, over the real adapters.

Each function is one governance step a person or a service takes through the application's
commands; the demo runs them in order, and the end-to-end test drives the same functions on both
engines. Nothing here bypasses a command: every result lands in the ledger as a signed event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.artifacts.file_store import FileArtifactStore
from adapters.credit import german
from adapters.monitoring.labelled import FeedbackSummary
from adapters.monitoring.reference import ReferenceStatistics
from adapters.monitoring.summaries import PredictionSummary
from adapters.monitoring.window import DriftSettings, window_metrics
from adapters.prediction_log.lookup import find_record
from adapters.training.environment import code_version
from adapters.uat.checks import integration_check, performance_check
from api.cast import Cast, Signers, now_text
from api.serving import ScoringService, checked_content
from domain.aggregates.dataset import Dataset
from domain.aggregates.model import Model
from domain.application import GovernanceApplication
from domain.errors import NotFoundError
from domain.rules.statements import Statement
from ledger.encoding.canonical import canonical_json

__all__ = [
    "DatasetRef",
    "approve",
    "credit_training_spec",
    "deploy",
    "evaluate_window",
    "explain_predictions",
    "record_uat_evidence",
    "register_credit_data",
    "register_credit_model",
    "train",
    "validate",
]

MODEL_NAME = "credit-risk"
DATASET_NAME = "german-credit"


@dataclass(frozen=True)
class DatasetRef:
    """One dataset version: the dataset's id, the version number and its content digest."""

    dataset_id: UUID
    number: int
    digest: str


def credit_training_spec(seed: int = 7) -> dict[str, Any]:
    """The demo's training spec: logistic regression on the German credit features."""
    return {
        "estimator": {
            "name": "logistic_regression",
            "parameters": {"C": 1.0, "max_iter": 1000},
        },
        "features": {
            "numeric": list(german.NUMERIC_FEATURES),
            # A protected attribute is assessed, never an input: foreign_worker is left out.
            "categorical": [c for c in german.CATEGORICAL_FEATURES if c != "foreign_worker"],
        },
        "target": german.TARGET,
        "positive_label": german.POSITIVE_LABEL,
        "protected_attributes": list(german.PROTECTED_ATTRIBUTES),
        "split": {"test_size": 0.3, "stratify": True},
        "seed": seed,
    }


def register_credit_data(
    application: GovernanceApplication,
    cast: Cast,
    store: FileArtifactStore,
    content: bytes,
    *,
    name: str = DATASET_NAME,
    description: str = german.DESCRIPTION,
) -> DatasetRef:
    """Store German-credit-shaped CSV bytes and record them as a new version of dataset ``name``
    (registered on first use) with their digest, schema, rows, protected attributes and licence.
    The bytes are checked against the schema first: a malformed file records nothing."""
    frame = german.table_schema().read_csv(content)
    digest = store.put(content)
    dataset_id = Dataset.create_id(name)
    try:
        application.get_dataset(dataset_id)
    except NotFoundError:
        application.register_dataset(name=name, description=description, actor=cast.steward)
    number = application.add_dataset_version(
        dataset_id,
        digest=digest,
        row_count=len(frame),
        columns=list(frame.columns),
        protected_attributes=list(german.PROTECTED_ATTRIBUTES),
        sensitivity="confidential",
        actor=cast.steward,
        license=german.LICENSE,
        schema=german.SCHEMA["columns"],
    )
    return DatasetRef(dataset_id, number, digest)


def register_credit_model(application: GovernanceApplication, cast: Cast) -> UUID:
    """The ``credit-risk`` model in the inventory (registered once, high risk tier)."""
    model_id = Model.create_id(MODEL_NAME)
    try:
        application.get_model(model_id)
    except NotFoundError:
        application.register_model(
            actor=cast.owner,
            name=MODEL_NAME,
            purpose="Decide consumer credit applications: approve or refuse",
            intended_use="Retail credit decisions under human review of refusals",
            restrictions=["not for applicants under 18", "not for business lending"],
            risk_tier="high",
        )
    return model_id


def train(
    application: GovernanceApplication,
    cast: Cast,
    model_id: UUID,
    data: Sequence[DatasetRef],
    spec: Mapping[str, Any],
    *,
    derived_from: UUID | None = None,
) -> UUID:
    """The developer trains a version from dataset versions by a spec; its id."""
    return application.train_model_version_from_data(
        actor=cast.developer,
        model_id=model_id,
        dataset_refs=[(ref.dataset_id, ref.number) for ref in data],
        training_spec=dict(spec),
        code_version=code_version(),
        environment={"runtime": "govledger"},
        derived_from=derived_from,
    )


@dataclass(frozen=True)
class Validation:
    """What the validator found and concluded."""

    outcome: str
    report_digest: str
    breaches: list[str]
    finding_ids: list[UUID]


def validate(
    application: GovernanceApplication,
    cast: Cast,
    signers: Signers,
    version_id: UUID,
    *,
    seed: int = 7,
) -> Validation:
    """The validator assesses a version (quality, fairness, explainability) and signs the
    conclusion: ``failed`` when the assessment breached the policy, else ``passed``."""
    application.start_validation(actor=cast.validator, version_id=version_id)
    assessed = application.assess_model_version(
        actor=cast.validator, version_id=version_id, seed=seed
    )
    outcome = "failed" if assessed.breaches else "passed"
    version = application.get_model_version(version_id)
    statement = Statement(
        action="conclude_validation",
        subject=str(version_id),
        artifact_digest=version.artifact_digest,
        evidence_digests=(assessed.report_digest,),
        signer=cast.validator,
        signed_at=now_text(),
        outcome=outcome,
    )
    signature, keyid = signers.sign(statement)
    application.conclude_validation(
        actor=cast.validator,
        version_id=version_id,
        outcome=outcome,
        evidence_digests=[assessed.report_digest],
        signature=signature,
        keyid=keyid,
        signed_at=statement.signed_at,
    )
    return Validation(
        outcome, assessed.report_digest, list(assessed.breaches), list(assessed.finding_ids)
    )


def approve(
    application: GovernanceApplication,
    signers: Signers,
    version_id: UUID,
    approvers: Sequence[str],
) -> None:
    """Each approver signs an approval of the version's artifact on its validation evidence."""
    version = application.get_model_version(version_id)
    for approver in approvers:
        statement = Statement(
            action="approve",
            subject=str(version_id),
            artifact_digest=version.artifact_digest,
            evidence_digests=version.validation_evidence,
            signer=approver,
            signed_at=now_text(),
            outcome="granted",
        )
        signature, keyid = signers.sign(statement)
        application.grant_approval(
            actor=approver,
            version_id=version_id,
            artifact_digest=version.artifact_digest,
            evidence_digests=list(version.validation_evidence),
            signature=signature,
            keyid=keyid,
            signed_at=statement.signed_at,
        )


def deploy(
    application: GovernanceApplication, cast: Cast, version_id: UUID, environment: str
) -> None:
    """The deployer runs the version's artifact in ``environment``, through the gates."""
    version = application.get_model_version(version_id)
    application.deploy(
        actor=cast.deployer,
        version_id=version_id,
        environment=environment,
        artifact_digest=version.artifact_digest,
    )


def record_uat_evidence(
    application: GovernanceApplication,
    cast: Cast,
    store: FileArtifactStore,
    service: ScoringService,
    holdout: Sequence[Mapping[str, object]],
    *,
    requests: int = 500,
) -> tuple[bool, bool]:
    """In UAT: does the deployed scoring path reproduce the offline predictions on a holdout
    (integration), and how fast is it (performance)? Both recorded as signed evidence."""
    model = service.model

    def offline(rows: Sequence[Mapping[str, object]]) -> Any:
        return model.score(model.frame(rows))

    def served(rows: Sequence[Mapping[str, object]]) -> Any:
        return service.compiled.score_rows(service.schema.check_rows(rows))

    integration = integration_check(offline, served, holdout)
    sample = [holdout[i % len(holdout)] for i in range(requests)]
    performance = performance_check(lambda row: service.predict([row]), sample)
    passed = []
    for kind, metrics in (("integration", integration), ("performance", performance)):
        evidence = store.put(canonical_json({"kind": kind, "metrics": dict(metrics)}))
        passed.append(
            application.record_uat_evidence(
                actor=cast.deployer,
                version_id=service.version_id,
                kind=kind,
                metrics={name: float(value) for name, value in metrics.items()},
                evidence_digest=evidence,
            )
        )
    return passed[0], passed[1]


def explain_predictions(
    application: GovernanceApplication,
    cast: Cast,
    service: ScoringService,
    prediction_ids: Sequence[str],
    *,
    seed: int = 11,
) -> list[UUID]:
    """The monitor service explains logged predictions with LIME; the explanations' ids."""
    explained = []
    for prediction_id in prediction_ids:
        record = find_record(service.predictions.directory, prediction_id).record
        inputs = record["inputs"]
        assert isinstance(inputs, Mapping)
        explained.append(
            application.explain_prediction(
                actor=cast.monitor,
                version_id=service.version_id,
                prediction_ref=prediction_id,
                row=inputs,
                seed=seed,
            )
        )
    return explained


def evaluate_window(
    application: GovernanceApplication,
    cast: Cast,
    store: FileArtifactStore,
    service: ScoringService,
    *,
    start: str,
    end: str,
    after_sequence: Mapping[str, int] | None = None,
    cost_matrix: Mapping[str, float] = german.COST_MATRIX,
) -> Any:
    """The monitor merges the summaries of the segments sealed in this window (those after
    ``after_sequence`` per kind), computes drift, fairness, quality and KPIs, and records them
    against the policy; the domain's outcome (breaches, findings, retraining)."""
    service.seal()
    after = dict(after_sequence or {})
    version = application.get_model_version(service.version_id)
    reference = ReferenceStatistics.from_json(
        checked_content(store, version.reference_digest, "the version's reference statistics")
    )
    summaries: dict[str, list[Any]] = {"prediction": [], "feedback": []}
    digests: list[str] = []
    for kind, parse in (
        ("prediction", PredictionSummary.from_dict),
        ("feedback", FeedbackSummary.from_dict),
    ):
        for segment in application.prediction_segments(
            service.version_id, service.environment, kind
        ):
            if segment.sequence <= after.get(kind, 0):
                continue
            summary = checked_content(
                store, segment.summary_digest, f"the summary of {kind} segment {segment.sequence}"
            )
            summaries[kind].append(parse(json.loads(summary)))
            digests.append(segment.digest)
    policy = application.current_policy().monitoring
    metrics = window_metrics(
        reference,
        summaries["prediction"],
        summaries["feedback"],
        settings=DriftSettings(psi_drift=policy.psi_drift, p_value=policy.ks_p_value),
        baseline_quality=version.metrics,
        cost_matrix=cost_matrix,
    )
    return application.record_monitoring_window(
        actor=cast.monitor,
        version_id=service.version_id,
        environment=service.environment,
        start=start,
        end=end,
        metrics=metrics,
        segments=digests,
    )
