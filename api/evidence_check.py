"""``verify``'s check of the content the ledger points to: artifacts and prediction segments.

Events carry only digests; the bytes live under ``GOVLEDGER_HOME``: model files, reference
statistics, assessment reports, UAT evidence, explanation weights and segment summaries in the
artifact store, prediction and feedback records in segment files. Each is checked against what
the signed events recorded:

- a stored artifact whose bytes no longer hash to its digest is a problem;
- a sealed segment whose bytes, record count or Merkle root differ from its ``SegmentSealed``
  event is a problem, and so is a sealed segment that is missing;
- a model file, reference or summary the ledger recorded and the store lacks is a problem.

Only when ``GOVLEDGER_HOME`` has no artifact store (or no prediction folder) at all is that part
reported as not checked, not failed: the ledger was then written by tools whose content lives
elsewhere (the domain's tests use an in-memory store).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.artifacts.file_store import FileArtifactStore
from adapters.prediction_log.proofs import check_sealed_segment
from adapters.prediction_log.segment_file import SEALED_SUFFIX, file_name
from domain.application import GovernanceApplication

__all__ = ["EvidenceReport", "check_evidence"]

_PAGE = 500
_REQUIRED = ("artifact_digest", "reference_digest", "summary_digest", "report_digest")
"""Digests whose content the ledger relies on: missing from the store is a problem."""
_HELD = ("evidence_digest", "weights_digest")
"""Digests checked when held: their content may have been handed over elsewhere."""


@dataclass
class EvidenceReport:
    """What the check found: counts, and one line per problem."""

    artifacts_checked: int = 0
    segments_checked: int = 0
    artifacts_available: bool = True
    segments_available: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def to_document(self) -> dict[str, object]:
        """The JSON form of the report."""
        return {
            "artifacts_checked": self.artifacts_checked,
            "artifact_store": self.artifacts_available,
            "segments_checked": self.segments_checked,
            "prediction_log": self.segments_available,
            "problems": self.problems,
        }


def check_evidence(application: GovernanceApplication, home: Path) -> EvidenceReport:
    """Check every artifact and sealed segment the ledger's events name; never raises for
    content it finds wrong (that is a problem in the report)."""
    report = EvidenceReport()
    store_root = home / "artifacts"
    predictions_root = home / "predictions"
    report.artifacts_available = store_root.is_dir()
    report.segments_available = predictions_root.is_dir()
    store = FileArtifactStore(store_root)
    checked: set[str] = set()
    logs: dict[object, _LogKey] = {}
    for event in _events(application):
        state = event.__dict__
        if type(event).__qualname__ == "PredictionLog.Opened":
            logs[event.originator_id] = _LogKey(
                str(state["model_version_id"]), str(state["environment"]), str(state["kind"])
            )
        if report.artifacts_available:
            for name in (*_REQUIRED, *_HELD, "evidence_digests", "digest"):
                for digest in _digests(state.get(name)):
                    if digest in checked or (name == "digest" and _is_segment(event)):
                        continue
                    checked.add(digest)
                    _check_artifact(store, digest, name in _REQUIRED, event, report)
        if report.segments_available and _is_segment(event):
            _check_segment(home, logs[event.originator_id], event, report)
    report.artifacts_checked = len(checked)
    return report


def _events(application: GovernanceApplication) -> Iterator[Any]:
    start = 1
    while True:
        page = application.recorder.select_notifications(start, _PAGE)
        for notification in page:
            yield application.mapper.to_domain_event(notification)
        if len(page) < _PAGE:
            return
        start = page[-1].id + 1


def _digests(value: object) -> list[str]:
    if isinstance(value, str) and value.startswith("sha256:"):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str) and item.startswith("sha256:")]
    return []


def _is_segment(event: Any) -> bool:
    return type(event).__qualname__.endswith("SegmentSealed")


def _where(event: Any) -> str:
    return f"event {event.originator_id}:{event.originator_version} ({type(event).__qualname__})"


def _check_artifact(
    store: FileArtifactStore, digest: str, required: bool, event: Any, report: EvidenceReport
) -> None:
    if not store.path_of(digest).exists():
        if required:
            report.problems.append(f"artifact {digest} recorded by {_where(event)} is missing")
        return
    problem = store.check(digest)
    if problem is not None:
        report.problems.append(f"artifact {digest} recorded by {_where(event)}: {problem}")


def _check_segment(home: Path, log: _LogKey, event: Any, report: EvidenceReport) -> None:
    state = event.__dict__
    folder = home / "predictions" / log.version_id / log.environment / log.kind
    path = folder / file_name(int(state["sequence"]), SEALED_SUFFIX)
    report.segments_checked += 1
    if not path.exists():
        report.problems.append(f"sealed segment {path} recorded by {_where(event)} is missing")
        return
    for problem in check_sealed_segment(
        path, state["digest"], state["merkle_root"], int(state["record_count"])
    ):
        report.problems.append(f"sealed segment {path}: {problem}")


@dataclass(frozen=True)
class _LogKey:
    """Which version, environment and kind a prediction log is of (from its ``Opened`` event)."""

    version_id: str
    environment: str
    kind: str
