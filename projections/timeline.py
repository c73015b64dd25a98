"""The timeline: every event about a model, in log order, each line citing its own leaf.

``TimelineProjection`` appends one ``timeline`` entry, filed under the model's name, for every
event of the model itself, its versions, their findings, prediction logs, explanations and
monitors: the event's name, the version number (null for the model's own events), a readable
summary, and the aggregate id and version. ``timeline`` answers one model's lines as of a log
size; each row's ``sources`` is ``[leaf_index]``, the leaf whose inclusion proof backs it.

A ``CommandRefusal`` records who was refused which command, why, and its ``subject``: the id
of the aggregate the command was about. When the catalog names that id (``model_of``: a version,
model or finding id) the refusal is a line of that model's timeline, e.g. ``REFUSED: dee may not
deploy v2: <reason>``; a refusal about nothing the catalog knows (another kind of subject, a
model never registered, ``""`` for refusals recorded before subjects) is on no timeline, only
in the search index (``projections.search_index``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from projections.catalog import FINDING, MODEL, PREDICTION_LOG, version_name
from projections.errors import NotFoundError
from projections.events import event_name
from projections.read_state import Entry, EntryFilter, ReadState, ReadView, StoredEntry

__all__ = ["TIMELINE", "TimelineProjection", "model_of", "require_model", "timeline"]

TIMELINE = "timeline"
"""The entry kind of a timeline line."""
_MODEL = "timeline.model"
"""Model id -> ``{"versions"}``: how many versions it listed, hence the next one's number."""
_FINDING = "timeline.finding"
"""Finding id -> ``{"title"}``, to name a finding in the lines after it was raised."""
_MONITOR = "timeline.monitor"
"""Monitor id -> ``{"model", "number", "kind", "environment"}``."""

_SUMMARIES = {
    "Model.Registered": "{actor} registered model {name} ({risk_tier} risk), owned by {owner}",
    "Model.VersionAdded": "{actor} listed {v} in the inventory",
    "ModelVersion.Trained": "{actor} trained {v} (artifact {artifact_digest})",
    "ModelVersion.ValidationStarted": "{actor} started validation of {v}",
    "ModelVersion.ValidationMetricsRecorded": "{actor} recorded validation metrics of {v}",
    "ModelVersion.FairnessAssessed": "{actor} assessed fairness of {v}: {fairness}",
    "ModelVersion.ExplainabilityAssessed": "{actor} assessed explainability of {v}",
    "ModelVersion.ValidationConcluded": "{actor} concluded validation of {v}: {outcome}",
    "ModelVersion.BiasMitigated": (
        "{actor} recorded {v} as mitigated on {sensitive_attribute} with {method}"
    ),
    "ModelVersion.ApprovalGranted": "{actor} approved {v} (artifact {artifact_digest})",
    "ModelVersion.ApprovalRejected": "{actor} rejected {v} (artifact {artifact_digest})",
    "ModelVersion.ApprovalRevoked": (
        "{actor} revoked their approval of {v} (artifact {artifact_digest}): {reason}"
    ),
    "ModelVersion.Deployed": "{actor} deployed {v} to {environment}",
    "ModelVersion.UatEvidenceRecorded": "{actor} recorded {kind} UAT evidence of {v}: {verdict}",
    "ModelVersion.RolledBack": "{actor} rolled {v} back from {environment}",
    "ModelVersion.Retired": "{actor} retired {v}",
    "ModelVersion.FindingLinked": "{actor} linked finding {finding} to {v}",
    "ModelVersion.MonitoringRecorded": (
        "{actor} recorded monitoring of {v} in {environment}; breaches: {breaches}"
    ),
    "ModelVersion.MonitoringWindowEvaluated": (
        "{actor} evaluated {v} in {environment} from {start} to {end}; breaches: {breaches}"
    ),
    "ModelVersion.DriftFlagged": "{actor} flagged drift of {v} in {environment}: {features}",
    "ModelVersion.FairnessBreached": (
        "{actor} reported a fairness breach of {v} in {environment}: {attributes}"
    ),
    "ModelVersion.QualityDegraded": (
        "{actor} reported degraded quality of {v} in {environment}: {metrics}"
    ),
    "ModelVersion.KpiBreached": "{actor} reported a KPI breach of {v} in {environment}: {kpis}",
    "ModelVersion.RetrainingRequested": "{actor} requested retraining of {v}: {reason}",
    "Finding.Raised": "{actor} raised a {severity} finding on {v}: {title}",
    "Finding.Assigned": "{actor} assigned finding {finding} to {assignee}",
    "Finding.Remediated": "{actor} remediated finding {finding}: {description}",
    "Finding.RiskAccepted": "{actor} accepted the risk of finding {finding}",
    "Finding.Closed": "{actor} closed finding {finding}",
    "PredictionLog.Opened": "{actor} opened the {kind} log of {v} in {environment}",
    "PredictionLog.SegmentSealed": (
        "{actor} sealed {kind} segment {sequence} of {v} in {environment} ({record_count} records)"
    ),
    "Explanation.Recorded": (
        "{actor} recorded a {method} explanation of prediction {prediction_ref} of {v} "
        "(fidelity {fidelity})"
    ),
    "Monitor.Registered": "{actor} registered a {kind} monitor of {v} in {environment}",
    "Monitor.WindowEvaluated": (
        "{actor} evaluated a {kind} window of {v} in {environment}; breaches: {breaches}"
    ),
    "CommandRefusal.CommandRefused": "REFUSED: {actor} may not {refused} {target}: {reason}",
}
"""One readable line per event; fields come from the subject first, then the event."""


class TimelineProjection:
    """Appends a ``timeline`` entry for every event about a model."""

    name = "timeline"

    def apply(self, event: Any, state: ReadState) -> None:
        """File ``event`` under its model, if it concerns one."""
        name = event_name(event)
        subject = _subject(name, event, state)
        if subject is None:
            return
        number = subject.get("number")
        version = f"v{number}" if number else f"model {subject['model']}"
        fields = _Fields(event, {**subject, "v": version, "actor": _actor(event)})
        template = _SUMMARIES.get(name, "{actor} recorded " + name + " of {v}")
        body = {
            "event": name,
            "version": number,
            "summary": template.format_map(fields),
            "aggregate_id": str(event.originator_id),
            "aggregate_version": event.originator_version,
        }
        state.append(Entry(TIMELINE, subject["model"], _actor(event), body))


def timeline(
    view: ReadView, as_of: int, model: str, *, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """The lines of ``model``'s timeline as of log size ``as_of``, in leaf order, paginated;
    ``count`` is the number of rows on this page. NotFoundError if no such model then."""
    require_model(view, as_of, model)
    wanted = EntryFilter(TIMELINE, subject=model, limit=limit, offset=offset)
    rows = [_row(stored) for stored in view.entries(wanted, as_of)]
    return {"model": model, "rows": rows, "count": len(rows), "limit": limit, "offset": offset}


def require_model(view: ReadView, as_of: int, model: str) -> None:
    """NotFoundError naming the models that exist unless ``model`` is registered at ``as_of``."""
    known = sorted(document.body["name"] for document in view.documents(MODEL, as_of))
    if model not in known:
        registered = ", ".join(known) if known else "none"
        raise NotFoundError(
            f"no model {model!r} at log size {as_of}; models registered then: {registered}"
        )


def _row(stored: StoredEntry) -> dict[str, Any]:
    return {
        **stored.entry.body,
        "actor": stored.entry.actor,
        "leaf_index": stored.leaf_index,
        "recorded_at": stored.recorded_at,
        "sources": [stored.leaf_index],
    }


def _actor(event: Any) -> str:
    return str(getattr(event, "actor", ""))


def _subject(name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    """The model (and version number, and what the summary needs) ``event`` is about."""
    find = _SUBJECTS.get(name.partition(".")[0])
    return None if find is None else find(name, event, state)


def model_of(state: ReadState, aggregate_id: str) -> dict[str, Any] | None:
    """``{"model"}``, with ``"number"`` for a version or a finding, of the model the catalog
    says ``aggregate_id`` belongs to (a version, model or finding id); None when it names none."""
    version = version_name(state, aggregate_id)
    if version is not None:
        return {"model": version.model, "number": version.number}
    model = state.get(MODEL, aggregate_id)
    if model is not None:
        return {"model": model["name"]}
    finding = state.get(FINDING, aggregate_id)
    if finding is not None and finding["model"]:
        return {"model": finding["model"], "number": finding["number"]}
    return None


def _refusal_subject(_name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    """The model a refused command was about, and how the line names its subject."""
    subject_id = str(event.subject)
    subject = model_of(state, subject_id)
    if subject is None:
        return None
    number = subject.get("number")
    refused = str(event.command).replace("_", " ")
    if state.get(FINDING, subject_id) is not None:
        target = f"finding {_finding_title(state, subject_id)} of v{number}"
        refused = refused.removesuffix(" finding")  # "close finding 'bias'", not "finding finding"
    else:
        target = f"v{number}" if number else f"model {subject['model']}"
    return {**subject, "target": target, "refused": refused}


def _model_version_subject(name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    subject = _version_subject(state, event.originator_id)
    if subject is not None and name == "ModelVersion.FindingLinked":
        subject["finding"] = _finding_title(state, str(event.finding_id))
    return subject


def _explanation_subject(_name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    return _version_subject(state, event.model_version_id)


def _prediction_log_subject(_name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    return state.get(PREDICTION_LOG, str(event.originator_id))


def _version_subject(state: ReadState, version_id: object) -> dict[str, Any] | None:
    found = version_name(state, version_id)
    if found is None:
        return None
    return {"model": found.model, "number": found.number}


def _model_subject(name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    model_id = str(event.originator_id)
    model = state.get(MODEL, model_id)
    if model is None:
        return None
    if name != "Model.VersionAdded":
        return {"model": model["name"]}
    # A model numbers its versions in the order it lists them, from 1 (Model.next_version_number)
    # and lists a version before the version's own Trained event is recorded.
    listed = (state.get(_MODEL, model_id) or {"versions": 0})["versions"] + 1
    state.put(_MODEL, model_id, {"versions": listed}, scope=model["name"])
    return {"model": model["name"], "number": listed}


def _finding_subject(name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    finding_id = str(event.originator_id)
    finding = state.get(FINDING, finding_id)
    if finding is None:
        return None
    if name == "Finding.Raised":
        state.put(_FINDING, finding_id, {"title": event.title}, scope=finding["model"])
    title = _finding_title(state, finding_id)
    return {"model": finding["model"], "number": finding["number"], "finding": title}


def _finding_title(state: ReadState, finding_id: str) -> str:
    found = state.get(_FINDING, finding_id)
    return repr(found["title"]) if found else finding_id


def _monitor_subject(name: str, event: Any, state: ReadState) -> dict[str, Any] | None:
    monitor_id = str(event.originator_id)
    if name == "Monitor.Registered":
        version = version_name(state, event.model_version_id)
        if version is None:
            return None
        body = {
            "model": version.model,
            "number": version.number,
            "kind": event.kind,
            "environment": event.environment,
        }
        state.put(_MONITOR, monitor_id, body, scope=version.model)
    return state.get(_MONITOR, monitor_id)


_SUBJECTS: dict[str, Callable[[str, Any, ReadState], dict[str, Any] | None]] = {
    "Model": _model_subject,
    "ModelVersion": _model_version_subject,
    "Explanation": _explanation_subject,
    "Finding": _finding_subject,
    "PredictionLog": _prediction_log_subject,
    "Monitor": _monitor_subject,
    "CommandRefusal": _refusal_subject,
}
"""How to find the model an event is about, by its aggregate."""


class _Fields(Mapping[str, str]):
    """A summary's fields: the subject's, else the event's attribute, written for a reader."""

    def __init__(self, event: Any, subject: Mapping[str, Any]) -> None:
        self._event = event
        self._subject = subject

    def __getitem__(self, key: str) -> str:
        if key in self._subject:
            return _readable(self._subject[key])
        if key == "verdict":
            return "passed" if self._event.passed else "failed"
        return _readable(getattr(self._event, key, "?"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._subject)

    def __len__(self) -> int:
        return len(self._subject)


def _readable(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_readable(item) for item in value) or "none"
    if isinstance(value, Mapping):
        parts = [f"{key}={_readable(item)}" for key, item in value.items()]
        return "(" + ", ".join(parts) + ")" if parts else "none"
    return str(value)
