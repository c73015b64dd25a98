"""What sealing and recovery produce: the sealed segment's description and the recovery report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from adapters.prediction_log.segment_file import SEALED_SUFFIX, file_name
from domain.errors import ArtifactError

__all__ = ["RecoveryReport", "SealedSegment"]


@dataclass(frozen=True)
class SealedSegment:
    """One sealed segment, as its ledger event records it (``description()``)."""

    sequence: int
    path: Path
    digest: str
    record_count: int
    first_id: str
    last_id: str
    start: str
    end: str
    merkle_root: str
    summary: Mapping[str, object]
    kind: str

    def description(self) -> dict[str, object]:
        """The JSON-ready fields of the ledger event (the file is named, not its folder)."""
        return {
            "sequence": self.sequence,
            "file": self.path.name,
            "digest": self.digest,
            "record_count": self.record_count,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "start": self.start,
            "end": self.end,
            "merkle_root": self.merkle_root,
            "summary": dict(self.summary),
            "kind": self.kind,
        }

    @classmethod
    def from_description(cls, directory: Path, description: Mapping[str, object]) -> SealedSegment:
        """The segment a ``description()`` (as stored in its sidecar) names in ``directory``."""
        try:
            summary = description["summary"]
            if not isinstance(summary, Mapping):
                raise TypeError("summary is not an object")
            texts = {name: str(description[name]) for name in _TEXT_FIELDS}
            sequence = _whole_number(description["sequence"])
            name = file_name(sequence, SEALED_SUFFIX)
            if texts.pop("file") != name:  # never a path the sidecar chose
                raise TypeError(f"segment {sequence}'s file is not named {name}")
            return cls(
                sequence=sequence,
                path=directory / name,
                record_count=_whole_number(description["record_count"]),
                summary=dict(summary),
                **texts,
            )
        except (KeyError, TypeError) as exc:
            raise ArtifactError(
                f"a segment description in {directory} is malformed: {exc}"
            ) from exc


_TEXT_FIELDS = ("file", "digest", "first_id", "last_id", "start", "end", "merkle_root", "kind")


def _whole_number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"{value!r} is not a count")
    return value


@dataclass(frozen=True)
class RecoveryReport:
    """What opening a log found: segments it sealed, unacknowledged records it dropped.

    ``dropped_records`` counts records of the cut tail whose block headers were readable;
    none of them was acknowledged. ``unrecorded`` lists every sealed segment still waiting
    for its ledger event.
    """

    sealed: tuple[SealedSegment, ...] = ()
    dropped_records: int = 0
    dropped_bytes: int = 0
    problems: tuple[str, ...] = ()
    unrecorded: tuple[SealedSegment, ...] = ()

    def merged(
        self,
        other: RecoveryReport | None = None,
        *,
        problem: str | None = None,
        unrecorded: tuple[SealedSegment, ...] | None = None,
    ) -> RecoveryReport:
        """This report with ``other``'s findings, one more problem, or the final queue added."""
        other = other or RecoveryReport()
        return RecoveryReport(
            sealed=self.sealed + other.sealed,
            dropped_records=self.dropped_records + other.dropped_records,
            dropped_bytes=self.dropped_bytes + other.dropped_bytes,
            problems=self.problems + other.problems + ((problem,) if problem else ()),
            unrecorded=self.unrecorded if unrecorded is None else unrecorded,
        )
