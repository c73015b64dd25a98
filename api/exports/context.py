"""What every bundle document is built from: the bundle's signed events and a read side of them.

A bundle's documents are a function of its events and its checkpoint alone: the read side they
read is projected, in memory, from exactly the events the bundle carries (``project_events``).
So ``govledger verify-bundle`` rebuilds every document from the bundle's verified events and
compares bytes: a fact in a document that no event supports cannot pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from ledger.keys.history import is_keys_aggregate
from ledger.store.mapper import SignedEventMapper
from ledger.store.signed_event import EventPayload
from ledger.tlog.checkpoint import Checkpoint
from projections.read_state import Position, ReadView
from projections.registry import read_models
from projections.store.memory import InMemoryReadSide
from projections.times import utc_text
from projections.worker import apply_payload

__all__ = ["BundleContext", "BundleEvent", "decode_payload", "project_events"]


@dataclass(frozen=True, slots=True)
class BundleEvent:
    """One signed event of a bundle: its leaf, its stored envelope (the leaf's bytes), its
    verified payload, and the domain event it decodes to (None for a key rotation)."""

    leaf_index: int
    envelope: bytes
    payload: EventPayload
    event: Any | None
    recorded_at: str  # RFC 3339 UTC as the read side writes it; "" for a key rotation

    @property
    def topic(self) -> str:
        """The event's topic (module:qualname)."""
        return self.payload.topic

    @property
    def name(self) -> str:
        """The event's class name as its topic spells it, e.g. ``ModelVersion.Trained``."""
        return self.payload.topic.partition(":")[2]

    @property
    def state(self) -> dict[str, Any]:
        """The event's signed state (JSON)."""
        state = self.payload.state
        assert isinstance(state, dict)
        return state


@dataclass(frozen=True, slots=True)
class BundleContext:
    """A bundle's subject, cut and evidence: what each document generator reads.

    ``view`` is the read side projected from ``events`` only; query it ``as_of`` (the
    checkpoint's size). ``version`` is the one version the bundle is about, or None for all.
    """

    model: str
    version: int | None
    origin: str
    checkpoint: Checkpoint
    checkpoint_note: str
    events: tuple[BundleEvent, ...]
    view: ReadView

    @property
    def as_of(self) -> int:
        """The log size the bundle is cut at: the checkpoint's."""
        return self.checkpoint.size

    @property
    def cut_at(self) -> str:
        """When the bundle's last event was recorded (RFC 3339 UTC): the documents' date.

        Never the wall clock, so the same state gives the same bytes.
        """
        times = [event.recorded_at for event in self.events if event.recorded_at]
        return max(times) if times else ""

    def event_at(self, leaf_index: int) -> BundleEvent | None:
        """The bundle's event at ``leaf_index``, if it carries it."""
        for event in self.events:
            if event.leaf_index == leaf_index:
                return event
        return None


def _transcoder() -> JSONTranscoder:
    """The application's transcoder: the library's default transcodings, as it registers them."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


_MAPPER = SignedEventMapper(transcoder=_transcoder())


def decode_payload(payload: EventPayload) -> Any:
    """The domain event of a verified payload, decoded as the application decodes it."""
    return _MAPPER.decode_payload(payload)


def project_events(
    events: Sequence[tuple[int, bytes, EventPayload]], size: int
) -> tuple[tuple[BundleEvent, ...], InMemoryReadSide]:
    """Decode verified events (leaf, envelope, payload; ascending leaves below ``size``) and
    project them into every read model, in memory, as a read side of ``size`` leaves where the
    leaves the bundle does not carry changed nothing. ProjectionError when a read model cannot
    apply an event."""
    read_side = InMemoryReadSide()
    decoded = []
    models = read_models()
    for leaf_index, envelope, payload in events:
        _skip_to(read_side, leaf_index)
        if is_keys_aggregate(payload.aggregate_id):
            event = None
            recorded_at = ""
        else:
            event = decode_payload(payload)
            recorded_at = utc_text(event.timestamp)
        apply_payload(read_side, leaf_index, payload, decode=decode_payload, projections=models)
        decoded.append(BundleEvent(leaf_index, envelope, payload, event, recorded_at))
    _skip_to(read_side, size)
    return tuple(decoded), read_side


def _skip_to(read_side: InMemoryReadSide, leaf_index: int) -> None:
    """Pass over the leaves before ``leaf_index`` the bundle does not carry: they change
    nothing, and a time resolves past them by the running maximum of the carried ones."""
    while read_side.size() < leaf_index:
        read_side.at(Position(read_side.size(), ""))
