"""The auditor's search index: sealed prediction segments, explanations and refusals, found by
model, actor and recorded time.

``SearchIndexProjection`` appends one entry per event, filed under the model's name:

- ``prediction_segment`` per ``PredictionLog.SegmentSealed``: model, version, environment, kind,
  sequence, record_count, first_id, last_id, start, end, merkle_root, digest, summary_digest;
- ``explanation`` per ``Explanation.Recorded``: model, version, explanation_id, prediction_ref,
  method, weights_digest, fidelity;
- ``refusal`` per ``CommandRefusal.CommandRefused``: actor, command, reason, subject_id (the id
  of the aggregate the refused command was about), and model and version: the model the catalog
  says that id belongs to (``projections.timeline.model_of``: a version, model or finding id)
  and the version's number, else ``""`` and null. Filed under that model, so a search for
  refusals filtered by model finds them; a refusal about nothing the catalog knows (a refusal
  recorded before subjects, whose subject is ``""``) is found by actor and time only.

``search`` filters on the ledger's recorded time of the event (``since`` and ``until``,
inclusive), not on a segment's own start and end. Each row cites its leaf in ``sources``.
"""

from __future__ import annotations

from typing import Any

from projections.catalog import PREDICTION_LOG, version_name
from projections.events import event_name
from projections.read_state import Entry, EntryFilter, ReadState, ReadView
from projections.timeline import model_of, require_model
from projections.times import parse_time

__all__ = [
    "EXPLANATION",
    "PREDICTION_SEGMENT",
    "REFUSAL",
    "SEARCH_KINDS",
    "SearchIndexProjection",
    "search",
]

PREDICTION_SEGMENT = "prediction_segment"
EXPLANATION = "explanation"
REFUSAL = "refusal"
SEARCH_KINDS = (PREDICTION_SEGMENT, EXPLANATION, REFUSAL)
"""The entry kinds ``search`` answers."""


class SearchIndexProjection:
    """Appends a searchable entry for each sealed segment, explanation and refusal."""

    name = "search_index"

    def apply(self, event: Any, state: ReadState) -> None:
        """Index ``event`` if it is one of the three kinds."""
        name = event_name(event)
        if name == "PredictionLog.SegmentSealed":
            _index_segment(event, state)
        elif name == "Explanation.Recorded":
            _index_explanation(event, state)
        elif name == "CommandRefusal.CommandRefused":
            _index_refusal(event, state)


def search(
    view: ReadView,
    as_of: int,
    kind: str,
    *,
    model: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Entries of ``kind`` recorded before log size ``as_of``, filtered and paginated, in leaf
    order. ValueError for another kind or a time that is not RFC 3339; NotFoundError for a model
    not registered at ``as_of``."""
    if kind not in SEARCH_KINDS:
        raise ValueError(f"no search kind {kind!r}: search one of {', '.join(SEARCH_KINDS)}")
    if model is not None:
        require_model(view, as_of, model)
    wanted = EntryFilter(
        kind,
        subject=model,
        actor=actor,
        since=None if since is None else parse_time(since),
        until=None if until is None else parse_time(until),
        limit=limit,
        offset=offset,
    )
    rows = [
        {
            **stored.entry.body,
            "actor": stored.entry.actor,
            "leaf_index": stored.leaf_index,
            "recorded_at": stored.recorded_at,
            "sources": [stored.leaf_index],
        }
        for stored in view.entries(wanted, as_of)
    ]
    return {"kind": kind, "rows": rows, "count": len(rows), "limit": limit, "offset": offset}


def _index_segment(event: Any, state: ReadState) -> None:
    log = state.get(PREDICTION_LOG, str(event.originator_id))
    if log is None:
        return
    body = {
        "model": log["model"],
        "version": log["number"],
        "environment": log["environment"],
        "kind": log["kind"],
        "sequence": event.sequence,
        "record_count": event.record_count,
        "first_id": event.first_id,
        "last_id": event.last_id,
        "start": event.start,
        "end": event.end,
        "merkle_root": event.merkle_root,
        "digest": event.digest,
        "summary_digest": event.summary_digest,
    }
    state.append(Entry(PREDICTION_SEGMENT, log["model"], event.actor, body))


def _index_explanation(event: Any, state: ReadState) -> None:
    version = version_name(state, event.model_version_id)
    if version is None:
        return
    body = {
        "model": version.model,
        "version": version.number,
        "explanation_id": str(event.originator_id),
        "prediction_ref": event.prediction_ref,
        "method": event.method,
        "weights_digest": event.weights_digest,
        "fidelity": event.fidelity,
    }
    state.append(Entry(EXPLANATION, version.model, event.actor, body))


def _index_refusal(event: Any, state: ReadState) -> None:
    subject_id = str(event.subject)
    subject = model_of(state, subject_id) or {"model": ""}
    body = {
        "actor": event.actor,
        "command": event.command,
        "reason": event.reason,
        "subject_id": subject_id,
        "model": subject["model"],
        "version": subject.get("number"),
    }
    state.append(Entry(REFUSAL, subject["model"], event.actor, body))
