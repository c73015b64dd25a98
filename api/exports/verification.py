"""Verifying a bundle offline: its signed parts, then every document rebuilt from its events.

No database, no network, no key but the bundle's own (and the log key the caller pins). The
signed parts (manifest, checkpoint, events, proofs) are checked by ``ledger.evidence``; then the
verified events are projected alone, every document is rebuilt and compared byte for byte, the
README likewise, every responsible person's signature is checked again against their registered
key, and the prediction extract's proofs are checked against the segment roots the signed events
commit to. Every problem names the file it is found in.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from api.exports import layout
from api.exports.bundle import documents, readme
from api.exports.context import BundleContext, project_events
from api.exports.personal_signatures import signed_decisions
from api.exports.predictions import check_predictions
from ledger.evidence.check import BundleProblem, SignedParts, check_signed_parts
from ledger.keys.history import EVENT_KEY_ROTATED, parse_rotation

__all__ = ["BundleReport", "verify_files"]


@dataclass
class BundleReport:
    """What ``verify-bundle`` found: every problem, and what the bundle is when it verified."""

    problems: list[BundleProblem] = field(default_factory=list)
    model: str | None = None
    version: int | None = None
    origin: str | None = None
    size: int | None = None
    root: str | None = None
    events: int = 0
    files: int = 0
    manifest_keyid: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when nothing is wrong with the bundle."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON document."""
        return {
            "intact": self.intact,
            "model": self.model,
            "version": self.version,
            "log": {"origin": self.origin, "size": self.size, "root": self.root},
            "events": self.events,
            "files": self.files,
            "manifest_keyid": self.manifest_keyid,
            "problems": [{"file": p.file, "detail": p.detail} for p in self.problems],
            "warnings": self.warnings,
        }


def verify_files(files: dict[str, bytes], *, trusted_vkey: str | None = None) -> BundleReport:
    """Check every file of a bundle (path -> bytes); never raises on what the files hold."""
    parts = check_signed_parts(files, trusted_vkey=trusted_vkey)
    report = BundleReport(problems=list(parts.problems), files=len(files))
    if parts.checkpoint is None or parts.manifest is None:
        return report  # nothing to rebuild against
    subject = parts.manifest.predicate
    report.manifest_keyid = parts.manifest.keyid
    report.model, report.version = _subject(subject, report)
    report.origin = parts.checkpoint.origin
    report.size = parts.checkpoint.size
    report.root = base64.b64encode(parts.checkpoint.root).decode("ascii")
    report.events = len(parts.events)
    _judge_manifest_key(parts, report)
    if report.model is None or parts.problems:
        # Documents rebuilt from a partial set of events would differ everywhere: the
        # signed parts' problems say what to look at first.
        return report
    context = _context(parts, report.model, report.version, report)
    if context is None:
        return report
    _compare_documents(files, context, report)
    for decision in signed_decisions(context):
        if not decision.verified:
            report.problems.append(
                BundleProblem(
                    layout.EVENTS,
                    f"leaf {decision.leaf_index}: {decision.signer}'s personal signature of "
                    f"{decision.action}: {decision.status}",
                )
            )
    for problem in check_predictions(files.get(layout.PREDICTIONS, b""), context):
        report.problems.append(BundleProblem(layout.PREDICTIONS, problem))
    return report


def _judge_manifest_key(parts: SignedParts, report: BundleReport) -> None:
    """The manifest's key should be one the bundle's key history brought in by the cut.

    Not a failure when it is not: an export cut at an older checkpoint is signed by the key in
    force when it is made, whose rotation lies beyond the cut. Every other file is checked on its
    own (events and proofs by their signatures, documents rebuilt from the events), so the
    manifest's key adds assurance rather than carrying it; the warning says what to compare.
    """
    history = {event.payload.keyid for event in parts.events if event.leaf_index == 0}
    for event in parts.events:
        if event.payload.topic == EVENT_KEY_ROTATED:
            history.add(parse_rotation(event.payload.topic, event.payload.state).incoming_keyid)
    if report.manifest_keyid not in history:
        report.warnings.append(
            f"the manifest is signed by {report.manifest_keyid}, which the bundle's key history "
            "does not bring in by the cut (a key rotated in later?): compare it with the event "
            "keys the ledger's operator publishes"
        )


def _subject(subject: dict[str, Any], report: BundleReport) -> tuple[str | None, int | None]:
    model, version = subject.get("model"), subject.get("version")
    if not isinstance(model, str) or not (version is None or type(version) is int):
        report.problems.append(
            BundleProblem(layout.MANIFEST, "the predicate names no model (and version)")
        )
        return None, None
    return model, version


def _context(
    parts: SignedParts, model: str, version: int | None, report: BundleReport
) -> BundleContext | None:
    assert parts.checkpoint is not None
    assert parts.checkpoint_note is not None
    try:
        events, read_side = project_events(
            [(e.leaf_index, e.envelope, e.payload) for e in parts.events], parts.checkpoint.size
        )
    except Exception as exc:  # a read model that cannot apply a signed event: say which
        report.problems.append(BundleProblem(layout.EVENTS, f"the events do not project: {exc}"))
        return None
    return BundleContext(
        model=model,
        version=version,
        origin=parts.checkpoint.origin,
        checkpoint=parts.checkpoint,
        checkpoint_note=parts.checkpoint_note,
        events=events,
        view=read_side,
    )


def _compare_documents(
    files: dict[str, bytes], context: BundleContext, report: BundleReport
) -> None:
    try:
        expected = documents(context)
    except Exception as exc:  # the events do not support the documents at all
        report.problems.append(
            BundleProblem(layout.EVENTS, f"no document can be built from the events: {exc}")
        )
        return
    vkey = files.get(layout.LOG_VKEY, b"").decode("utf-8", "replace").strip()
    keyids = sorted(_event_keyids(files))
    expected[layout.README] = readme(context, keyids, vkey)
    for name, data in sorted(expected.items()):
        held = files.get(name)
        if held is None:
            report.problems.append(BundleProblem(name, "missing from the bundle"))
        elif held != data:
            report.problems.append(
                BundleProblem(
                    name,
                    f"does not match what the signed events say (first difference at byte "
                    f"{_first_difference(held, data)}): the document was changed after export",
                )
            )


def _event_keyids(files: dict[str, bytes]) -> list[str]:
    prefix = layout.EVENT_KEYS_DIR + "/"
    return [
        "sha256:" + name.removeprefix(prefix).removesuffix(".pem")
        for name in files
        if name.startswith(prefix) and name.endswith(".pem")
    ]


def _first_difference(held: bytes, expected: bytes) -> int:
    for index, (a, b) in enumerate(zip(held, expected, strict=False)):
        if a != b:
            return index
    return min(len(held), len(expected))
