"""Which signed events a model's bundle carries: everything about it and everything they reference.

The seeds are the leaves the read side cites for the model as of the cut: its timeline (every
event about it or one of its versions: training, validation, findings, approvals, deployments,
prediction segments, monitoring, explanations, refusals) and its lineage (the datasets and
their versions it learnt from, downstream of which it sits). Then whole histories: an aggregate
with one event in the bundle comes with every event it had up to the cut, so its chain verifies
from version 1. Then what verification and the documents need beside: leaf 0 (whose signer is
the genesis event key), every key rotation (the windows each key signs in), the policy history
(the rules the gates applied) and the principals named in the events (their roles and
personal keys, with their history).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from api.composition import Ledger
from ledger.keys.history import is_keys_aggregate
from ledger.store.signed_event import stored_aggregate_id
from projections.lineage.queries import MAX_DEPTH, lineage
from projections.read_state import ReadView
from projections.timeline import timeline

__all__ = ["select_leaves"]

_PAGE = 1000
_PRINCIPAL = "domain.aggregates.principal:"
_POLICY = "domain.aggregates.policy_history:"


@dataclass
class _Aggregate:
    leaves: list[int] = field(default_factory=list)
    topic: str = ""
    first_state: Any = None


def select_leaves(
    ledger: Ledger, view: ReadView, size: int, model: str, version: int | None
) -> list[int]:
    """The leaves (ascending, all below ``size``) of the bundle of ``model`` (one ``version``
    or all) cut at log size ``size``. The read side must have processed ``size`` leaves."""
    seeds = _model_leaves(view, size, model, version)
    aggregates, leaf_aggregate = _scan(ledger, size)
    chosen = {leaf_aggregate[leaf] for leaf in seeds if leaf in leaf_aggregate}
    if 0 in leaf_aggregate:
        chosen.add(leaf_aggregate[0])
    for aggregate_id, aggregate in aggregates.items():
        if is_keys_aggregate(aggregate_id) or aggregate.topic.startswith(_POLICY):
            chosen.add(aggregate_id)
    leaves = [leaf for aggregate_id in chosen for leaf in aggregates[aggregate_id].leaves]
    names = set(_strings(_state_at(ledger, leaf) for leaf in leaves))
    for aggregate_id, aggregate in aggregates.items():
        if aggregate.topic.startswith(_PRINCIPAL) and _name(aggregate.first_state) in names:
            chosen.add(aggregate_id)
    return sorted(leaf for aggregate_id in chosen for leaf in aggregates[aggregate_id].leaves)


def _model_leaves(view: ReadView, size: int, model: str, version: int | None) -> set[int]:
    """The leaves the read side cites for ``model`` (or its one ``version``) at ``size``."""
    leaves: set[int] = set()
    offset = 0
    while True:
        page = timeline(view, size, model, limit=500, offset=offset)
        for row in page["rows"]:
            if version is None or row.get("version") in (None, version):
                leaves.update(row["sources"])
        if page["count"] < page["limit"]:
            break
        offset += page["count"]
    roots = [f"{model}@{version}"] if version is not None else [model]
    answers = [lineage(view, size, root, direction="upstream", depth=MAX_DEPTH) for root in roots]
    if version is None:
        downstream = lineage(view, size, model, direction="downstream", depth=MAX_DEPTH)
        answers.append(downstream)
        versions = [n["name"] for n in downstream["nodes"] if n["type"] == "model_version"]
        answers += [lineage(view, size, v, direction="upstream", depth=MAX_DEPTH) for v in versions]
    for answer in answers:
        for row in (*answer["nodes"], *answer["edges"]):
            leaves.update(row["sources"])
    return {leaf for leaf in leaves if leaf < size}


def _scan(ledger: Ledger, size: int) -> tuple[dict[str, _Aggregate], dict[int, str]]:
    """One pass over the first ``size`` leaves: each aggregate's leaves, topic and first state.

    Only reads: every selected event is verified when the bundle is assembled.
    """
    aggregates: dict[str, _Aggregate] = {}
    leaf_aggregate: dict[int, str] = {}
    for entry in _entries(ledger, size):
        aggregate_id = stored_aggregate_id(entry.originator_id)
        leaf_aggregate[entry.leaf_index] = aggregate_id
        aggregate = aggregates.setdefault(aggregate_id, _Aggregate())
        aggregate.leaves.append(entry.leaf_index)
        if not aggregate.topic and entry.stored is not None:
            aggregate.topic = entry.stored.topic
            aggregate.first_state = _payload_state(entry.stored.state)
    return aggregates, leaf_aggregate


def _entries(ledger: Ledger, size: int) -> Iterator[Any]:
    start = 0
    while start < size:
        page = ledger.recorder.select_log_entries(start, min(_PAGE, size - start))
        if not page:
            return
        yield from page
        start = page[-1].leaf_index + 1


def _state_at(ledger: Ledger, leaf: int) -> Any:
    entries = ledger.recorder.select_log_entries(leaf, 1)
    if not entries or entries[0].stored is None:
        return None
    return _payload_state(entries[0].stored.state)


def _payload_state(envelope: object) -> Any:
    if not isinstance(envelope, bytes):
        return None
    try:
        payload = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
        return payload.get("state")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # verification names what is wrong with it


def _name(state: Any) -> str | None:
    return state.get("name") if isinstance(state, dict) else None


def _strings(values: Iterable[Any]) -> Iterator[str]:
    """Every string anywhere in ``values`` (names of principals among them)."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _strings(value.values())
        elif isinstance(value, list):
            yield from _strings(value)
