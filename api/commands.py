"""The ledger commands of the CLI: init, demo, verify, rotate-key.

Each takes the Settings and the parsed arguments and returns the exit status; errors are
raised and turned into one line by ``api.cli``.
"""

from __future__ import annotations

import argparse
import json
import time

from api.composition import log_vkey, open_ledger, published_checkpoint
from api.demo_data import record_demo_data
from api.evidence_check import EvidenceReport, check_evidence
from api.files import read_text
from api.initialise import initialise
from api.read_side import live_summary
from api.settings import Settings
from ledger.errors import StoreError
from ledger.keys import rotation as key_rotation
from ledger.keys.keystore import EVENT_SIGNER, LOG
from ledger.verify.events import Report, verify_store
from ledger.verify.tree import TreeReport, verify_tree

__all__ = ["EXIT_INTEGRITY", "EXIT_OK", "EXIT_USAGE", "demo", "init", "rotate_key", "verify"]

EXIT_OK, EXIT_INTEGRITY, EXIT_USAGE = 0, 1, 2


def init(settings: Settings, arguments: argparse.Namespace) -> int:
    """Migrate the schema, grant the service role, create keys only for an empty ledger.

    See ``api.initialise``: on a populated ledger it creates no key and registers nobody.
    """
    initialise(settings, getattr(arguments, "owner_db", None))
    return EXIT_OK


def demo(settings: Settings, arguments: argparse.Namespace) -> int:
    """Run the governed life of ``credit-risk`` on the German data (``--data-only``: record the
    data set only), cut a checkpoint, verify."""
    if getattr(arguments, "data_only", False):
        return _demo_data(settings, arguments)
    # Imported here: the ML stack takes a while to import and only this command needs it.
    from adapters.artifacts.file_store import FileArtifactStore
    from api.demo import ServingLimits, run_demo

    started = time.monotonic()
    ledger = open_ledger(settings, with_ml=True)
    try:
        report = run_demo(
            ledger.application,
            admin=settings.admin,
            store=FileArtifactStore.in_home(settings.home),
            home=settings.home,
            serving=ServingLimits(max_rows=settings.scoring_batch_max_rows),
        )
        checkpoint = ledger.checkpointer.cut()
        if checkpoint is not None:
            print(f"signed checkpoint of {checkpoint.size} leaves")
        print(live_summary(ledger, "credit-risk"))
    finally:
        ledger.close()
    print(
        f"demo done in {time.monotonic() - started:.0f} s: {len(report.lines)} steps, "
        f"{len(report.refusals)} refusal(s) recorded; now verifying"
    )
    status = verify(settings, arguments)
    if status != EXIT_OK:
        return status
    # Imported here: api.export_commands imports this module's exit statuses.
    from api.export_commands import export_demo_bundle

    return export_demo_bundle(settings, quiet=bool(getattr(arguments, "json", False)))


def _demo_data(settings: Settings, arguments: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    try:
        result = record_demo_data(ledger.application, admin=settings.admin)
        print(
            f"recorded dataset german-credit ({result.dataset_id}) version {result.version}: "
            f"{result.rows} rows, {result.digest}"
        )
        checkpoint = ledger.checkpointer.cut()
        if checkpoint is not None:
            print(f"signed checkpoint of {checkpoint.size} leaves")
    finally:
        ledger.close()
    return verify(settings, arguments)


def verify(settings: Settings, arguments: argparse.Namespace) -> int:
    """Verify signatures, chains, leaves, the tree and every checkpoint."""
    trusted = [read_text(path) for path in getattr(arguments, "checkpoint", None) or []]
    ledger = open_ledger(settings)
    try:
        # Read before the stored checkpoints: each published one must be among them by then.
        published, unreadable = _published(settings)
        history = ledger.key_history()  # each key trusted only within its window
        events = verify_store(ledger.log, history)
        notes = [*trusted, *([published] if published else [])]
        tree = verify_tree(
            ledger.tree,
            origin=settings.log_origin,
            verifiers=ledger.log_verifiers(),
            published=notes,
        )
        tree.problems.extend(ledger.checkpoint_key_problems(history, notes))
        tree.problems[:0] = unreadable
        # Only once the events verified: the content check trusts what they record.
        evidence = check_evidence(ledger.application, settings.home) if events.intact else None
    finally:
        ledger.close()
    if getattr(arguments, "json", False):
        print(json.dumps(_report_document(events, tree, evidence), indent=2))
    else:
        _print_report(events, tree, evidence)
    intact = events.intact and tree.intact and (evidence is None or evidence.intact)
    return EXIT_OK if intact else EXIT_INTEGRITY


def rotate_key(settings: Settings, arguments: argparse.Namespace) -> int:
    """Retire the event-signing key (or with ``--log`` the log key) by a signed rotation event.

    The rotation takes the next leaf of the log, signed by the outgoing event key; earlier
    public keys stay published, so earlier events and checkpoints stay verifiable.
    """
    log = bool(getattr(arguments, "log", False))
    if getattr(arguments, "repair", False):
        return _repair_rotations(settings)
    ledger = open_ledger(settings)
    try:
        signer = key_rotation.rotate_key(
            ledger.recorder, ledger.keystore, LOG if log else EVENT_SIGNER
        )
        if log:
            vkey_path = ledger.keystore.public_directory / "log.vkey"
            vkey_path.write_text(log_vkey(settings, ledger.keystore) + "\n", encoding="utf-8")
    finally:
        ledger.close()
    what = "log key" if log else "event-signing key"
    print(
        f"new {what} {signer.keyid}, in force from the next leaf; "
        "earlier public keys stay published"
    )
    return EXIT_OK


def _repair_rotations(settings: Settings) -> int:
    """Settle rotations interrupted after their key switch, as the log says they ended."""
    ledger = open_ledger(settings)
    try:
        for name in (EVENT_SIGNER, LOG):
            outcome = key_rotation.repair_interrupted_rotation(
                ledger.recorder, ledger.keystore, name
            )
            if outcome is not None:
                state = "had committed: kept the incoming key" if outcome else "undone"
                print(f"interrupted rotation of the {name} key {state}")
        vkey_path = ledger.keystore.public_directory / "log.vkey"  # of the log key in force
        vkey_path.write_text(log_vkey(settings, ledger.keystore) + "\n", encoding="utf-8")
    finally:
        ledger.close()
    print("no rotation is in flight")
    return EXIT_OK


def _published(settings: Settings) -> tuple[str | None, list[str]]:
    """The published checkpoint; one that cannot be read is a problem to report, not an error."""
    try:
        return published_checkpoint(settings).read(), []
    except StoreError as exc:
        return None, [f"published checkpoint: {exc}"]


def _report_document(
    events: Report, tree: TreeReport, evidence: EvidenceReport | None
) -> dict[str, object]:
    return {
        "intact": events.intact and tree.intact and (evidence is None or evidence.intact),
        "leaves": events.leaves,
        "keyids": sorted(events.keyids),
        "checkpoints": tree.checkpoints,
        "problems": [
            {
                "leaf_index": p.leaf_index,
                "aggregate_id": p.aggregate_id,
                "version": p.version,
                "reason": p.reason,
            }
            for p in events.problems
        ],
        "log_problems": tree.problems,
        "evidence": None if evidence is None else evidence.to_document(),
    }


def _print_report(events: Report, tree: TreeReport, evidence: EvidenceReport | None) -> None:
    content = [] if evidence is None else evidence.problems
    problems = len(events.problems) + len(tree.problems) + len(content)
    if not problems:
        print(
            f"ledger intact: {events.leaves} events, signatures and chains verified "
            f"({len(events.keyids)} signing key(s)); Merkle tree and "
            f"{tree.checkpoints} checkpoint(s) verified"
            + ("" if evidence is None else _evidence_text(evidence))
        )
        return
    print(f"ledger NOT intact: {problems} problem(s) in {events.leaves} leaves")
    for problem in events.problems:
        print(f"  {problem}")
    for message in tree.problems:
        print(f"  log: {message}")
    for message in content:
        print(f"  content: {message}")


def _evidence_text(evidence: EvidenceReport) -> str:
    artifacts = (
        f"{evidence.artifacts_checked} artifact(s)"
        if evidence.artifacts_available
        else "no artifact store here (artifacts not checked)"
    )
    segments = (
        f"{evidence.segments_checked} prediction segment(s)"
        if evidence.segments_available
        else "no prediction log here"
    )
    return f"; {artifacts} and {segments} match their recorded digests"
