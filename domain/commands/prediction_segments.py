"""Sealing the segments of a prediction log: one signed ``SegmentSealed`` event per segment
(docs/events.md, "Prediction logs"). Sealing the same segment again is a no-op, so a scoring
process that restarts may re-seal its last segment safely."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from domain.aggregates.prediction_log import PredictionLog, SealedSegmentRecord
from domain.commands.arguments import check_count, check_name
from domain.commands.development import DevelopmentCommands
from domain.errors import InvalidArgumentError, NotFoundError
from domain.rules.roles import Command
from domain.rules.vocabulary import Environment, SegmentKind, check_digest, parse

__all__ = ["PredictionSegmentCommands"]

_MERKLE_ROOT = re.compile(r"[0-9a-f]{64}")


class PredictionSegmentCommands(DevelopmentCommands):
    """Commands of the scoring path and the monitor that seal prediction log segments."""

    def seal_prediction_segment(
        self,
        *,
        actor: str,
        version_id: UUID,
        environment: str,
        kind: str,
        sequence: int,
        digest: str,
        record_count: int,
        first_id: str,
        last_id: str,
        start: str,
        end: str,
        merkle_root: str,
        summary_digest: str,
    ) -> int:
        """Seal segment ``sequence`` of a version's ``kind`` log in ``environment``; its
        sequence. The version must have been deployed there; sequences are dense from 1."""
        with self._command(actor, Command.SEAL_PREDICTION_SEGMENT, subject=version_id):
            target = parse(Environment, environment, "environment")
            log_kind = parse(SegmentKind, kind, "segment kind")
            if check_count(sequence, "segment sequence") < 1:
                raise InvalidArgumentError("segment sequences start at 1")
            check_digest(digest, "segment digest")
            check_digest(summary_digest, "summary digest")
            if check_count(record_count, "record count") < 1:
                raise InvalidArgumentError("a sealed segment holds at least one record")
            check_name(first_id, "first record id")
            check_name(last_id, "last record id")
            first, last = _time_range(start, end)
            if not isinstance(merkle_root, str) or not _MERKLE_ROOT.fullmatch(merkle_root):
                raise InvalidArgumentError(
                    f"Merkle root {merkle_root!r} is not 64 lowercase hex digits"
                )
            version = self.get_model_version(version_id)
            version.check_ever_deployed_in(target.value)
            log = self._prediction_log(version.id, target.value, log_kind.value, actor)
            if log.sealed_already(sequence, digest):
                return sequence
        log.seal_segment(
            sequence=sequence,
            digest=digest,
            record_count=record_count,
            first_id=first_id,
            last_id=last_id,
            start=first,
            end=last,
            merkle_root=merkle_root,
            summary_digest=summary_digest,
            actor=actor,
        )
        self.save(log)
        return sequence

    def prediction_segments(
        self, version_id: UUID, environment: str, kind: str
    ) -> list[SealedSegmentRecord]:
        """The sealed segments of a version's ``kind`` log in ``environment``, in order."""
        target = parse(Environment, environment, "environment")
        log_kind = parse(SegmentKind, kind, "segment kind")
        try:
            log = self._get(
                PredictionLog,
                PredictionLog.create_id(version_id, target.value, log_kind.value),
                "no prediction log",
            )
        except NotFoundError:
            return []
        return list(log.segments)

    def _prediction_log(
        self, version_id: UUID, environment: str, kind: str, actor: str
    ) -> PredictionLog:
        """The log, or a new one (saved with its first segment)."""
        try:
            return self._get(
                PredictionLog,
                PredictionLog.create_id(version_id, environment, kind),
                "no prediction log",
            )
        except NotFoundError:
            return PredictionLog(
                model_version_id=version_id, environment=environment, kind=kind, actor=actor
            )


def _time_range(start: str, end: str) -> tuple[str, str]:
    """The segment's first and last record times in ISO 8601, with offsets, start <= end."""
    try:
        first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except (ValueError, TypeError):
        raise InvalidArgumentError(
            f"segment times {start!r} to {end!r} are not ISO 8601 times"
        ) from None
    if first.tzinfo is None or last.tzinfo is None:
        raise InvalidArgumentError(f"segment times {start!r} to {end!r} need a UTC offset")
    if last < first:
        raise InvalidArgumentError(f"segment start {start} is after its end {end}")
    return first.isoformat(), last.isoformat()
