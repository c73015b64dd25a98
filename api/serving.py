"""The serving path: a deployed model version scores rows, and every prediction is logged.

``ScoringService`` joins the ledger and the adapters for one version in one environment:

- at start it fetches the version's artifact from the store, checks it against the digest the
  ledger recorded, loads it with the project's allow-list of trusted types (never anything the
  file names itself) and compiles it for scoring without pandas;
- ``predict`` validates a batch against the schema of the data the version was trained on (a
  clear error naming row and column, nothing logged for a refused batch), scores it, and appends
  one canonical record per prediction to the prediction log;
- the log seals a segment every N records or T seconds; each sealed segment becomes ONE signed
  ``SegmentSealed`` event (digest, count, time range, Merkle root, summary digest), so a single
  prediction is proven by record -> segment root -> ledger leaf -> signed checkpoint;
- ``feedback`` logs labels for earlier predictions the same way, copying each prediction's score,
  decision and protected groups so monitoring merges summaries without a join;
- a restart records every segment sealed on disk but not yet in the ledger, and seals (or
  reports) the tail a crash left open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np

from adapters.artifacts.file_store import FileArtifactStore
from adapters.artifacts.model_files import load_model
from adapters.models.governed import GovernedModel
from adapters.monitoring.labelled import summarise_feedback
from adapters.monitoring.reference import ReferenceStatistics
from adapters.monitoring.summaries import summarise_predictions
from adapters.prediction_log.ids import new_id, new_ids
from adapters.prediction_log.log import PredictionLog, SealedSegment
from adapters.prediction_log.lookup import find_record
from adapters.scoring.compiled import CompiledModel
from adapters.tables.schema import TableSchema
from api.prediction_files import prediction_directory
from domain.aggregates.dataset import Dataset
from domain.application import GovernanceApplication
from domain.errors import ArtifactError, InvalidArgumentError, NotFoundError
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest

__all__ = ["Prediction", "ScoringService", "checked_content", "prediction_directory"]

PREDICTION, FEEDBACK = "prediction", "feedback"


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a scoring client gets back for one row."""

    id: str
    score: float
    decision: int


class ScoringService:
    """Scores rows with one deployed version and logs every prediction provably."""

    def __init__(
        self,
        application: GovernanceApplication,
        *,
        version_id: UUID,
        environment: str,
        actor: str,
        store: FileArtifactStore,
        home: Path,
        max_rows: int,
        seal_every: int | None = None,
        seal_after: timedelta | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``seal_every`` and ``seal_after`` default to the policy's ``prediction_log`` limits."""
        self.application = application
        self.actor = actor
        self.environment = environment
        self.max_rows = max_rows
        self._clock = clock or (lambda: datetime.now(UTC))
        version = application.get_model_version(version_id)
        version.check_deployed_in(environment)
        limits = application.current_policy().prediction_log
        seal_every = seal_every or limits.segment_max_records
        seal_after = seal_after or timedelta(seconds=limits.segment_max_seconds)
        self.version_id = version.id
        self.artifact_digest = version.artifact_digest
        self.model: GovernedModel = load_model(
            checked_content(store, version.artifact_digest, "the version's artifact")
        )
        self.compiled = CompiledModel.compile(self.model)
        self.schema = _training_schema(
            application, version.dataset_versions, str(version.training_spec["target"])
        )
        self.reference = ReferenceStatistics.from_json(
            checked_content(store, version.reference_digest, "the version's reference statistics")
        )
        self.protected = _protected(application, version.dataset_versions)
        target = self.schema.target
        self.labels = set(self.schema.column(target).categories) if target else set()
        self.store = store
        self.predictions = PredictionLog(
            prediction_directory(home, self.version_id, environment, PREDICTION),
            seal_every=seal_every,
            seal_after=seal_after,
            summariser=summarise_predictions(self.reference),
            clock=self._clock,
            kind=PREDICTION,
        )
        self.feedback_log = PredictionLog(
            prediction_directory(home, self.version_id, environment, FEEDBACK),
            seal_every=seal_every,
            seal_after=seal_after,
            summariser=summarise_feedback(self.protected),
            clock=self._clock,
            kind=FEEDBACK,
        )
        self.recover()

    def recover(self) -> None:
        """Seal what a crash left open and record every sealed segment the ledger lacks."""
        for log in (self.predictions, self.feedback_log):
            log.recover()
            self._record_sealed(log)

    def predict(self, rows: Sequence[Mapping[str, object]]) -> list[Prediction]:
        """Score ``rows`` (one or many) and log each prediction; their ids, scores and decisions.

        A row with a missing, extra, mistyped, out-of-range or unknown value refuses the whole
        batch (``RowError`` naming row and column) before anything is logged.
        """
        return self.predict_checked(self.schema.check_rows(rows, max_rows=self.max_rows))

    def predict_checked(
        self, typed: Sequence[Mapping[str, object]], groups: Sequence[int] = ()
    ) -> list[Prediction]:
        """Score rows ``schema.check_rows`` already accepted and log each prediction in one log
        append. ``groups`` (row counts summing to ``len(typed)``; default one group) are the
        requests of a micro-batch: each is scored as one model call of its own rows, so its
        scores equal, float for float, what it would get alone (a matrix product over more
        rows may differ by an ulp)."""
        scores, decisions = self._scored(typed, groups or [len(typed)])
        now = self._clock()
        stamp = _rfc3339(now)
        milliseconds = int(now.timestamp() * 1000)
        predictions: list[Prediction] = []
        records: list[dict[str, object]] = []
        ids = new_ids(len(typed), milliseconds)
        for prediction_id, row, score, decision in zip(
            ids, typed, scores.tolist(), decisions.tolist(), strict=True
        ):
            prediction = Prediction(prediction_id, score, decision)
            predictions.append(prediction)
            records.append(
                {
                    "id": prediction.id,
                    "kind": PREDICTION,
                    "model_version": str(self.version_id),
                    "artifact_digest": self.artifact_digest,
                    "environment": self.environment,
                    "time": stamp,
                    "inputs": row,
                    "output": {"score": prediction.score, "decision": prediction.decision},
                }
            )
        self.predictions.append(records)
        self._record_sealed(self.predictions)
        return predictions

    def _scored(
        self, typed: Sequence[Mapping[str, object]], groups: Sequence[int]
    ) -> tuple[Any, Any]:
        if sum(groups) != len(typed):
            raise ValueError(f"groups {list(groups)} do not add up to {len(typed)} rows")
        if len(groups) == 1:
            scores = self.compiled.score_rows(typed)
            return scores, self.compiled.decide(typed, scores)
        parts, start = [], 0
        for count in groups:
            parts.append(self.compiled.score_rows(typed[start : start + count]))
            start += count
        scores = np.concatenate(parts)
        return scores, self.compiled.decide(typed, scores)

    def feedback(self, labels: Sequence[tuple[str, str]]) -> int:
        """Log the true outcome (``target`` label) of earlier predictions; how many were logged.

        Every prediction id must be in this version's log and every label a known one; else
        ``InvalidArgumentError`` and nothing is logged.
        """
        if not isinstance(labels, Sequence) or not labels:
            raise InvalidArgumentError("feedback needs at least one (prediction id, label) pair")
        if len(labels) > self.max_rows:
            raise InvalidArgumentError(
                f"a feedback batch of {len(labels)} exceeds the cap of {self.max_rows}: split it"
            )
        known = self.labels
        now = self._clock()
        stamp, milliseconds = _rfc3339(now), int(now.timestamp() * 1000)
        records: list[dict[str, object]] = []
        for position, (prediction_id, label) in enumerate(labels):
            if label not in known:
                raise InvalidArgumentError(
                    f"feedback {position}: label {label!r} is not one of {sorted(known)}"
                )
            try:
                found = find_record(self.predictions.directory, prediction_id)
            except NotFoundError:
                raise InvalidArgumentError(
                    f"feedback {position}: no prediction {prediction_id!r} of version "
                    f"{self.version_id} in {self.environment}"
                ) from None
            record: Mapping[str, Any] = found.record
            inputs, output = record["inputs"], record["output"]
            records.append(
                {
                    "id": new_id(milliseconds),
                    "kind": FEEDBACK,
                    "prediction_id": prediction_id,
                    "time": stamp,
                    "label": label,
                    "prediction": {
                        "score": output["score"],
                        "decision": output["decision"],
                        "groups": {name: inputs[name] for name in self.protected},
                    },
                }
            )
        self.feedback_log.append(records)
        self._record_sealed(self.feedback_log)
        return len(records)

    def tick(self) -> None:
        """Seal and record a segment whose first record is older than the policy allows, even
        if no request comes (a server calls this every few seconds)."""
        for log in (self.predictions, self.feedback_log):
            log.seal_if_due()
            self._record_sealed(log)

    def close(self) -> None:
        """Seal and record what is open, then release the logs' folders."""
        self.seal()
        self.predictions.close()
        self.feedback_log.close()

    def seal(self) -> None:
        """Seal both open segments now and record them (at the end of a window, or on stop)."""
        for log in (self.predictions, self.feedback_log):
            log.seal()
            self._record_sealed(log)

    def _record_sealed(self, log: PredictionLog) -> None:
        """Record each sealed segment not yet in the ledger as one signed event."""
        for segment in log.unrecorded():
            self._record(segment)
            log.mark_recorded(segment.sequence)

    def _record(self, segment: SealedSegment) -> None:
        summary_digest = self.store.put(canonical_json(dict(segment.summary)))
        self.application.seal_prediction_segment(
            actor=self.actor,
            version_id=self.version_id,
            environment=self.environment,
            kind=segment.kind,
            sequence=segment.sequence,
            digest=segment.digest,
            record_count=segment.record_count,
            first_id=segment.first_id,
            last_id=segment.last_id,
            start=segment.start,
            end=segment.end,
            merkle_root=segment.merkle_root,
            summary_digest=summary_digest,
        )


def checked_content(store: FileArtifactStore, digest: str, what: str) -> bytes:
    """The stored content of ``digest``; ArtifactError if it is absent or does not match."""
    try:
        content = store.get(digest)
    except KeyError:
        raise ArtifactError(f"{what} ({digest}) is not in the artifact store") from None
    if sha256_digest(content) != digest:
        raise ArtifactError(
            f"{what} in the artifact store does not match its recorded digest {digest}: "
            "the stored file was altered; restore it from a backup"
        )
    return content


def _dataset_versions(application: GovernanceApplication, lineage: Sequence[Any]) -> list[Any]:
    versions = []
    for ref in lineage:
        if not isinstance(ref, Mapping):
            continue
        dataset = application.get_dataset(Dataset.create_id(str(ref["dataset"])))
        versions.append(dataset.dataset_version(int(ref["version"])))
    if not versions:
        raise NotFoundError("the version records no dataset version it was trained on")
    return versions


def _training_schema(
    application: GovernanceApplication, lineage: Sequence[Any], target: str
) -> TableSchema:
    """The schema of the first dataset version the model was trained on, ``target`` its
    target (which scoring rows leave out)."""
    version = _dataset_versions(application, lineage)[0]
    if not version.schema:
        raise NotFoundError(
            "the dataset version the model was trained on records no schema: scoring cannot "
            "validate rows; add a dataset version with its schema and retrain"
        )
    return TableSchema.from_document({"columns": version.schema, "target": target})


def _protected(application: GovernanceApplication, lineage: Sequence[Any]) -> list[str]:
    return list(_dataset_versions(application, lineage)[0].protected_attributes)


def _rfc3339(moment: datetime) -> str:
    """``2026-11-30T12:00:00.123Z``: UTC with milliseconds."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
