"""The monitoring commands: monitors, their windows, monitoring results and sealed segments.

Evaluating a window from rows sends the rows in the body: each list is capped (``MAX_ROWS``
rows of at most ``MAX_COLUMNS`` columns) and the whole body by the server's body limit; larger
windows are summarised client-side and recorded with ``record-monitoring-window``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.registry.fields import Created, Digest, Digests, Instant, Metrics, Number, Scalar
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request, Response
from domain.aggregates.monitor import MonitorKind
from domain.commands.arguments import MAX_EXACT_INTEGER
from domain.rules.roles import Command
from domain.rules.vocabulary import Environment, SegmentKind

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "SPECS",
    "MonitorCreate",
    "MonitoringResult",
    "MonitoringWindow",
    "SegmentSeal",
    "SegmentSealed",
    "WindowEvaluation",
    "WindowFinding",
    "WindowPublic",
]

MAX_ROWS = 10_000
"""The most rows (or predictions) one list of a window evaluation holds."""
MAX_COLUMNS = 200
"""The most columns one row holds."""

_Name = Annotated[str, Field(min_length=1, max_length=200)]
Row = Annotated[
    dict[_Name, Scalar],
    Field(max_length=MAX_COLUMNS, description=f"one record: column to value (<= {MAX_COLUMNS})"),
]
Rows = Annotated[list[Row], Field(max_length=MAX_ROWS, description=f"at most {MAX_ROWS} rows")]


class MonitorCreate(Request):
    """Watch a version in an environment, optionally overriding policy thresholds."""

    version_id: UUID = Field(description="the model version to watch")
    kind: MonitorKind = Field(description="what is watched")
    environment: Environment = Field(description="where it is watched")
    thresholds: dict[_Name, Number] | None = Field(
        default=None,
        max_length=100,
        description="overrides of the policy's monitoring thresholds, by name",
    )


class MonitoringResult(Request):
    """A window's metrics for a version running in an environment."""

    version_id: UUID = Field(description="the model version watched")
    environment: Environment = Field(description="where it runs")
    metrics: Metrics


class WindowFinding(Response):
    """The finding a breach in prod raised, if any."""

    finding_id: UUID | None = Field(description="the finding raised, null when none was")


class MonitoringWindow(Request):
    """A window summarised from sealed prediction-log segments of a version."""

    version_id: UUID = Field(description="the model version watched")
    environment: Environment = Field(description="where its logs were written")
    start: Instant = Field(description="the window's start")
    end: Instant = Field(description="the window's end, after its start")
    metrics: Metrics
    segments: Digests = Field(description="the digests of the sealed segments summarised")


class WindowPublic(Response):
    """What the window breached and warned of, the flags recorded and what followed."""

    breaches: list[str]
    warnings: list[str]
    flags: list[str] = Field(description="the typed flag events recorded, e.g. DriftFlagged")
    finding_id: UUID | None = Field(description="the finding raised in prod, if any")
    retraining_requested: bool
    notified: bool = Field(description="whether the finding's notice was queued")


class WindowEvaluation(Request):
    """Evaluate one window of a monitor with its port: a drift monitor compares
    ``window_rows`` with ``reference_rows``; a fairness monitor assesses ``predictions`` by
    ``groups`` (one group per prediction)."""

    monitor_id: UUID = Field(description="the registered monitor")
    start: Instant = Field(description="the window's start")
    end: Instant = Field(description="the window's end, after its start")
    reference_rows: Rows = Field(
        default_factory=list,
        description=f"drift: the reference records, e.g. a training sample (<= {MAX_ROWS})",
    )
    window_rows: Rows = Field(
        default_factory=list, description=f"drift: the window's records (<= {MAX_ROWS})"
    )
    predictions: list[Number] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        description=f"fairness: the window's scores or decisions (<= {MAX_ROWS})",
    )
    groups: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        description="fairness: the protected group of each prediction, in the same order",
    )


class SegmentSeal(Request):
    """Seal one segment of a version's prediction or feedback log in an environment."""

    version_id: UUID = Field(description="the model version whose log it is")
    environment: Environment = Field(description="where the log was written")
    kind: SegmentKind = Field(description="what its records are")
    sequence: int = Field(ge=1, le=MAX_EXACT_INTEGER, description="its number, dense from 1")
    digest: Digest = Field(description="the digest of the segment's bytes")
    record_count: int = Field(ge=1, le=MAX_EXACT_INTEGER, description="how many records it holds")
    first_id: _Name = Field(description="the id of its first record")
    last_id: _Name = Field(description="the id of its last record")
    start: Instant = Field(description="the time of its first record")
    end: Instant = Field(description="the time of its last record")
    merkle_root: str = Field(pattern=r"^[0-9a-f]{64}$", description="64 lowercase hex digits")
    summary_digest: Digest = Field(description="the digest of the segment's summary")


class SegmentSealed(Response):
    """The sequence of the sealed segment (sealing it again is a no-op)."""

    sequence: int


def _register(context: CommandContext, actor: str, request: MonitorCreate) -> Created:
    monitor_id = context.application.register_monitor(
        actor=actor,
        version_id=request.version_id,
        kind=request.kind.value,
        environment=request.environment.value,
        thresholds=request.thresholds,
    )
    return Created(id=monitor_id)


def _result(context: CommandContext, actor: str, request: MonitoringResult) -> WindowFinding:
    finding_id = context.application.record_monitoring_result(
        actor=actor,
        version_id=request.version_id,
        environment=request.environment.value,
        metrics=request.metrics,
    )
    return WindowFinding(finding_id=finding_id)


def _window(context: CommandContext, actor: str, request: MonitoringWindow) -> WindowPublic:
    outcome = context.application.record_monitoring_window(
        actor=actor,
        version_id=request.version_id,
        environment=request.environment.value,
        start=request.start,
        end=request.end,
        metrics=request.metrics,
        segments=request.segments,
    )
    return WindowPublic(
        breaches=outcome.breaches,
        warnings=outcome.warnings,
        flags=outcome.flags,
        finding_id=outcome.finding_id,
        retraining_requested=outcome.retraining_requested,
        notified=outcome.notified,
    )


def _evaluate(context: CommandContext, actor: str, request: WindowEvaluation) -> WindowFinding:
    finding_id = context.application.evaluate_monitoring_window(
        actor=actor,
        monitor_id=request.monitor_id,
        start=request.start,
        end=request.end,
        reference_rows=request.reference_rows,
        window_rows=request.window_rows,
        predictions=request.predictions,
        groups=request.groups,
    )
    return WindowFinding(finding_id=finding_id)


def _seal(context: CommandContext, actor: str, request: SegmentSeal) -> SegmentSealed:
    sequence = context.application.seal_prediction_segment(
        actor=actor,
        version_id=request.version_id,
        environment=request.environment.value,
        kind=request.kind.value,
        sequence=request.sequence,
        digest=request.digest,
        record_count=request.record_count,
        first_id=request.first_id,
        last_id=request.last_id,
        start=request.start,
        end=request.end,
        merkle_root=request.merkle_root,
        summary_digest=request.summary_digest,
    )
    return SegmentSealed(sequence=sequence)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="register-monitor",
        command=Command.REGISTER_MONITOR,
        resource="monitoring",
        path="/monitors",
        request=MonitorCreate,
        response=Created,
        run=_register,
        summary="Watch a model version in an environment",
        status_code=201,
    ),
    CommandSpec(
        name="record-monitoring-result",
        command=Command.RECORD_MONITORING_RESULT,
        resource="monitoring",
        path="/monitoring/results",
        request=MonitoringResult,
        response=WindowFinding,
        run=_result,
        summary="Record a window's metrics; a breach in prod raises a finding",
    ),
    CommandSpec(
        name="record-monitoring-window",
        command=Command.RECORD_MONITORING_WINDOW,
        resource="monitoring",
        path="/monitoring/windows",
        request=MonitoringWindow,
        response=WindowPublic,
        run=_window,
        summary="Record a window summarised from sealed log segments, flagging each breach",
    ),
    CommandSpec(
        name="evaluate-monitoring-window",
        command=Command.EVALUATE_MONITORING_WINDOW,
        resource="monitoring",
        path="/monitoring/windows/evaluate",
        request=WindowEvaluation,
        response=WindowFinding,
        run=_evaluate,
        summary="Evaluate a monitor's window from rows with the drift or fairness port",
        needs_ml=True,
    ),
    CommandSpec(
        name="seal-prediction-segment",
        command=Command.SEAL_PREDICTION_SEGMENT,
        resource="monitoring",
        path="/prediction-segments",
        request=SegmentSeal,
        response=SegmentSealed,
        run=_seal,
        summary="Seal a segment of a version's prediction or feedback log",
    ),
)
