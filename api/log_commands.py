"""The transparency-log commands of the CLI: checkpoint, proof, verify-proof."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from uuid import UUID

from api.commands import EXIT_INTEGRITY, EXIT_OK
from api.composition import Ledger, log_vkey, open_ledger
from api.errors import ConfigurationError
from api.files import read_bytes, read_text
from api.settings import Settings
from ledger.errors import InconsistentLogError, VerificationError
from ledger.log_entries import LogEntry
from ledger.offline import verify_entry
from ledger.tlog_proof import TlogProof

__all__ = ["checkpoint", "proof", "verify_proof"]


def checkpoint(settings: Settings, arguments: argparse.Namespace) -> int:
    """Cut, check and sign a checkpoint now and print it; with ``--every``, keep doing so."""
    ledger = open_ledger(settings)
    announced = 0
    try:
        while True:
            try:
                signed = ledger.checkpointer.cut()
            except InconsistentLogError:
                return EXIT_INTEGRITY  # the alarm is already on stderr
            if arguments.every is None:
                break
            if signed is not None and signed.size != announced:
                print(f"checkpoint of {signed.size} leaves", flush=True)
                announced = signed.size
            time.sleep(arguments.every)
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        ledger.close()
    if signed is None:
        raise ConfigurationError("the log is empty: there is nothing to checkpoint yet")
    print(signed.note, end="")
    return EXIT_OK


def proof(settings: Settings, arguments: argparse.Namespace) -> int:
    """Write an offline proof of one log entry: tlog-proof, entry, checkpoint and vkey."""
    ledger = open_ledger(settings)
    try:
        entry = _entry(ledger, arguments)
        signed = ledger.checkpointer.cut()
        if signed is None or entry.stored is None:
            raise VerificationError(f"leaf {entry.leaf_index} has no stored event")
        with ledger.tree.reading() as c:
            hashes = ledger.tree.inclusion_proof(c, entry.leaf_index, signed.size)
        vkey = log_vkey(settings, ledger.keystore)
    finally:
        ledger.close()
    out: Path = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    tlog = TlogProof(index=entry.leaf_index, hashes=tuple(hashes), checkpoint_note=signed.note)
    (out / "proof.tlog").write_text(tlog.to_text(), encoding="utf-8")
    (out / "entry.dsse.json").write_bytes(entry.stored.state)
    (out / "checkpoint.txt").write_text(signed.note, encoding="utf-8")
    (out / "log.vkey").write_text(vkey + "\n", encoding="utf-8")
    print(f"leaf {entry.leaf_index} of {signed.size}: proof, entry, checkpoint and vkey in {out}")
    return EXIT_OK


def verify_proof(arguments: argparse.Namespace) -> int:
    """Check an offline proof with no database: yes (exit 0) or no (exit 1)."""
    try:
        verified = verify_entry(
            proof=read_text(arguments.proof),
            entry=read_bytes(arguments.entry),
            vkey=read_text(arguments.vkey).strip(),
            trusted_checkpoint=read_text(arguments.checkpoint) if arguments.checkpoint else None,
            origin=arguments.origin,
        )
    except VerificationError as exc:
        print(f"no: {exc}")
        return EXIT_INTEGRITY
    checkpoint = verified.checkpoint
    print(
        f"yes: the entry is leaf {verified.index} of {checkpoint.origin}'s tree of "
        f"{checkpoint.size} leaves"
    )
    return EXIT_OK


def _entry(ledger: Ledger, arguments: argparse.Namespace) -> LogEntry:
    if arguments.leaf is not None:
        entries = ledger.recorder.select_log_entries(arguments.leaf, 1)
        if not entries or entries[0].leaf_index != arguments.leaf:
            raise ConfigurationError(f"the log has no leaf {arguments.leaf}")
        return entries[0]
    try:
        aggregate_id, version = arguments.event.rsplit(":", 1)
        found = ledger.recorder.leaf_of(UUID(aggregate_id), int(version))
    except ValueError:
        raise ConfigurationError("--event takes AGGREGATE_ID:VERSION, e.g. 0f1e...:2") from None
    if found is None:
        raise ConfigurationError(f"no logged event {arguments.event}")
    return found
