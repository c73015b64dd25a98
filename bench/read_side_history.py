"""A realistic governance history for the read side's benchmark, written fast.

Each model's story, version after version: a dataset version added, the version trained on it
(derived from the previous one) and listed, validated (started, metrics, fairness,
explainability, concluded), approved twice, deployed to uat, checked there (integration and
performance), deployed to prod (the previous version rolled back from prod), a prod
prediction log opened whose segments are sealed, and monitoring windows evaluated over them;
now and then a window flags drift and a finding is raised and linked. Eight models share a
dataset; a model has 20 versions, a version's story about 70 events.

The domain's own aggregates make the events (ids, chaining and every field as commands record
them), but no command runs: their checks, ML and personal signatures would cost far more than
the benchmark measures. The events are saved in causal order, ``per_save`` to a transaction; the
signed store still signs, chains and logs each one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.domain import Aggregate

from domain.aggregates.dataset import Dataset
from domain.aggregates.finding import Finding
from domain.aggregates.model import Model
from domain.aggregates.model_version import ModelVersion
from domain.aggregates.prediction_log import PredictionLog
from domain.application import GovernanceApplication

__all__ = ["History", "ModelPlan", "VersionPlan", "write_history"]

MODELS_PER_DATASET = 8
VERSIONS_PER_MODEL = 20
SEGMENTS_PER_VERSION = 40
WINDOWS_PER_VERSION = 10
FINDING_EVERY_WINDOWS = 25
DIGEST = "sha256:" + "ab" * 32
SIGNATURE = "c2lnbmF0dXJl" * 7
KEYID = "sha256:" + "cd" * 32
SIGNED_AT = "2026-11-30T12:00:00Z"
FEATURES = ("age", "credit_amount", "duration", "purpose", "housing")


@dataclass(frozen=True)
class VersionPlan:
    """One version written: its number, the dataset version it was trained on, and the number
    of events recorded before its story (its first leaf, give or take the ledger's key events)."""

    number: int
    dataset_version: int
    written_at: int


@dataclass
class ModelPlan:
    """One model written: its name, its dataset, where it starts in the log, its versions."""

    name: str
    dataset: str
    registered_at: int = 0
    versions: list[VersionPlan] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    """What ``write_history`` appended: the models, and how many events in all."""

    models: list[ModelPlan]
    events: int


@dataclass
class _Story:
    """The aggregates of one model as the history goes on."""

    plan: ModelPlan
    model: Model
    dataset: Dataset
    previous: ModelVersion | None = None
    number: int = 0
    dataset_number: int = 0
    windows: int = 0
    events: list[Any] = field(default_factory=list)

    def took(self, aggregate: Aggregate) -> None:
        """Move the aggregate's pending events to the story, in the order they happened."""
        self.events.extend(aggregate.collect_events())


def write_history(
    application: GovernanceApplication, events: int, *, per_save: int = 1000, seed: int = 7
) -> History:
    """Append ``events`` events or a few more (whole stories), ``per_save`` or so to a
    transaction, in a history the seed decides."""
    written, pending = 0, list[Any]()
    plans: list[ModelPlan] = []
    for story_events, story in _stories(random.Random(seed)):
        at = written + len(pending)
        if story.number == 0:
            story.plan.registered_at = at
            plans.append(story.plan)
        else:
            story.plan.versions.append(VersionPlan(story.number, story.dataset_number, at))
        pending += story_events
        if len(pending) >= per_save:
            application.save(*pending)
            written, pending = written + len(pending), []
        if written + len(pending) >= events:
            break
    if pending:
        application.save(*pending)
    return History(plans, written + len(pending))


def _stories(rng: random.Random) -> Iterator[tuple[list[Any], _Story]]:
    """Each model's registration, then one version at a time, round-robin over 16 models at a
    time, so histories interleave in the log as they would."""
    live: list[_Story] = []
    datasets: dict[str, Dataset] = {}
    count = 0
    while True:
        while len(live) < 16:
            story = _register(count, datasets)
            count += 1
            live.append(story)
            yield _drained(story), story
        story = live[rng.randrange(len(live))]
        _version(story, rng)
        yield _drained(story), story
        if story.number >= VERSIONS_PER_MODEL:
            live.remove(story)


def _drained(story: _Story) -> list[Any]:
    events, story.events = story.events, []
    return events


def _register(index: int, datasets: dict[str, Dataset]) -> _Story:
    name, dataset_name = f"model-{index:05d}", f"data-{index // MODELS_PER_DATASET:04d}"
    dataset = datasets.get(dataset_name)
    if dataset is None:
        dataset = Dataset(name=dataset_name, description="applicants", actor="dana@example.org")
        datasets[dataset_name] = dataset
    model = Model(
        name=name,
        purpose="credit decisions",
        intended_use="retail loans up to 50k",
        restrictions=["no use on business loans"],
        owner="olga@example.org",
        risk_tier="high" if index % 3 == 0 else "medium",
        actor="olga@example.org",
    )
    story = _Story(ModelPlan(name, dataset_name), model, dataset)
    story.took(dataset)
    story.took(model)
    return story


def _version(story: _Story, rng: random.Random) -> None:
    """One version's life: data, training, validation, approval, release, traffic."""
    story.dataset.add_version(
        digest=DIGEST,
        row_count=rng.randrange(1000, 100_000),
        columns=list(FEATURES),
        protected_attributes=["age"],
        sensitivity="confidential",
        actor="dana@example.org",
    )
    story.took(story.dataset)
    story.dataset_number = len(story.dataset.versions)
    version = _trained(story, rng)
    _validated_and_approved(version, rng)
    version.deploy(environment="uat", artifact_digest=DIGEST, actor="ops@example.org")
    for check in ("integration", "performance"):
        version.record_uat_evidence(
            kind=check,
            artifact_digest=DIGEST,
            metrics={"p95_ms": rng.uniform(5.0, 20.0)},
            evidence_digest=DIGEST,
            passed=True,
            actor="ops@example.org",
        )
    version.deploy(environment="prod", artifact_digest=DIGEST, actor="ops@example.org")
    story.took(version)
    if story.previous is not None:
        story.previous.roll_back(environment="prod", actor="ops@example.org")
        story.took(story.previous)
    _traffic(story, version, rng)
    story.previous = version


def _trained(story: _Story, rng: random.Random) -> ModelVersion:
    story.number += 1
    number = story.number
    version = ModelVersion(
        model_id=story.model.id,
        number=number,
        dataset_versions=[
            {"dataset": story.plan.dataset, "version": story.dataset_number, "digest": DIGEST}
        ],
        training_spec={"algorithm": "logistic_regression", "C": 1.0, "seed": number},
        code_version="git:0123abc",
        environment={"python": "3.11", "scikit-learn": "1.5.2"},
        artifact_digest=DIGEST,
        reference_digest=DIGEST,
        metrics={"auc": rng.uniform(0.7, 0.8), "accuracy": rng.uniform(0.7, 0.8)},
        derived_from=str(story.previous.id) if story.previous is not None else "",
        actor="dev@example.org",
    )
    story.took(version)
    story.model.add_version(version_id=version.id, actor="dev@example.org")
    story.took(story.model)
    return version


def _validated_and_approved(version: ModelVersion, rng: random.Random) -> None:
    validator = "vera@example.org"
    version.start_validation(actor=validator)
    version.record_validation_metrics(
        metrics={"auc": rng.uniform(0.7, 0.8)}, report_digest=DIGEST, actor=validator
    )
    version.assess_fairness(
        fairness={"age": {"disparate_impact": rng.uniform(0.8, 1.0)}},
        report_digest=DIGEST,
        actor=validator,
    )
    version.assess_explainability(
        metrics={"fidelity": rng.uniform(0.8, 1.0)}, report_digest=DIGEST, actor=validator
    )
    version.conclude_validation(
        outcome="passed", actor=validator, **_signed(evidence_digests=[DIGEST])
    )
    for approver in ("ann@example.org", "bob@example.org"):
        version.grant_approval(
            artifact_digest=DIGEST, actor=approver, **_signed(evidence_digests=[DIGEST])
        )


def _signed(**fields: Any) -> dict[str, Any]:
    return {"signature": SIGNATURE, "keyid": KEYID, "signed_at": SIGNED_AT, **fields}


def _traffic(story: _Story, version: ModelVersion, rng: random.Random) -> None:
    """The production log's sealed segments, a monitoring window every few, a finding now and
    then."""
    log = PredictionLog(
        model_version_id=version.id, environment="prod", kind="prediction", actor="svc"
    )
    per_window = SEGMENTS_PER_VERSION // WINDOWS_PER_VERSION
    for sequence in range(1, SEGMENTS_PER_VERSION + 1):
        log.seal_segment(
            sequence=sequence,
            digest=DIGEST,
            record_count=10_000,
            first_id=f"{sequence:08d}-first",
            last_id=f"{sequence:08d}-last",
            start=f"2026-11-{1 + sequence % 28:02d}T00:00:00Z",
            end=f"2026-11-{1 + sequence % 28:02d}T06:00:00Z",
            merkle_root=DIGEST,
            summary_digest=DIGEST,
            actor="svc",
        )
        story.took(log)
        if sequence % per_window == 0:
            _window(story, version, log, sequence, rng)


def _window(
    story: _Story, version: ModelVersion, log: PredictionLog, sequence: int, rng: random.Random
) -> None:
    psi = rng.uniform(0.0, 0.3)
    drifted = psi >= 0.2
    version.evaluate_monitoring_window(
        environment="prod",
        start=log.segments[sequence - 4 if sequence >= 4 else 0].start,
        end=log.segments[sequence - 1].end,
        metrics={"psi.age": psi, "approval_rate": rng.uniform(0.5, 0.7)},
        segments=[segment.digest for segment in log.segments[-4:]],
        breaches=["PSI age >= 0.2"] if drifted else [],
        warnings=[],
        actor="svc",
    )
    if drifted:
        version.flag_drift(
            environment="prod", features=["age"], dataset_drift_share=psi, actor="svc"
        )
    story.took(version)
    story.windows += 1
    if story.windows % FINDING_EVERY_WINDOWS == 0:
        _finding(story, version)


def _finding(story: _Story, version: ModelVersion) -> None:
    finding = Finding(
        model_version_id=version.id,
        severity="medium",
        title="age drift in production",
        due="2027-01-31",
        source="monitoring",
        actor="svc",
    )
    story.took(finding)
    version.link_finding(finding_id=finding.id, actor="svc")
    story.took(version)
