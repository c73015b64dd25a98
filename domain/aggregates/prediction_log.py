"""The prediction log aggregate: the sealed segments of one model version's predictions (or
feedback labels) in one environment (docs/events.md, "Prediction logs").

Prediction records live in segment files outside the ledger; each sealed segment is one
``SegmentSealed`` event with its digest, record count, id and time range, RFC 6962 Merkle root
and summary digest, so a record's inclusion proof runs record -> segment root -> ledger leaf ->
signed checkpoint. Sequences are dense from 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidStateError

__all__ = ["PredictionLog", "SealedSegmentRecord"]


@dataclass(frozen=True, slots=True)
class SealedSegmentRecord:
    """One sealed segment as the ledger recorded it."""

    sequence: int
    digest: str
    record_count: int
    first_id: str
    last_id: str
    start: str
    end: str
    merkle_root: str
    summary_digest: str
    actor: str


class PredictionLog(Aggregate):
    """The segments of one version's log of one kind in one environment; its id derives from
    those three."""

    @staticmethod
    def create_id(model_version_id: UUID, environment: str, kind: str) -> UUID:
        """Derive the id from the version, the environment and the kind."""
        return uuid5(
            NAMESPACE_URL, f"govledger:prediction-log:{model_version_id}:{environment}:{kind}"
        )

    @event("Opened")
    def __init__(self, *, model_version_id: UUID, environment: str, kind: str, actor: str) -> None:
        self.model_version_id = model_version_id
        self.environment = environment
        self.kind = kind
        self.segments: list[SealedSegmentRecord] = []

    @event("SegmentSealed")
    def seal_segment(
        self,
        *,
        sequence: int,
        digest: str,
        record_count: int,
        first_id: str,
        last_id: str,
        start: str,
        end: str,
        merkle_root: str,
        summary_digest: str,
        actor: str,
    ) -> None:
        """A segment of records was sealed: its place in the log and what proves its content."""
        self.segments.append(
            SealedSegmentRecord(
                sequence,
                digest,
                record_count,
                first_id,
                last_id,
                start,
                end,
                merkle_root,
                summary_digest,
                actor,
            )
        )

    @property
    def next_sequence(self) -> int:
        """The sequence the next segment takes."""
        return len(self.segments) + 1

    def sealed_already(self, sequence: int, digest: str) -> bool:
        """True if segment ``sequence`` is sealed with ``digest`` (sealing it again changes
        nothing); InvalidStateError if it is sealed with another digest, or if ``sequence``
        would leave a gap."""
        if sequence < self.next_sequence:
            sealed = self.segments[sequence - 1]
            if sealed.digest != digest:
                raise InvalidStateError(
                    f"segment {sequence} of the {self.kind} log in {self.environment} is sealed "
                    f"with digest {sealed.digest}, not {digest}: a sealed segment never changes"
                )
            return True
        if sequence != self.next_sequence:
            raise InvalidStateError(
                f"segment {sequence} of the {self.kind} log in {self.environment} would leave a "
                f"gap: the next segment to seal is {self.next_sequence}"
            )
        return False
