"""The transparency-log commands of the CLI: checkpoint, proof, verify-proof."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from uuid import UUID

from api.commands import EXIT_INTEGRITY, EXIT_OK
from api.composition import Ledger, log_vkey, open_ledger
from api.errors import ConfigurationError
from api.files import read_bytes, read_text
from api.settings import Settings
from ledger.durable_files import PUBLIC_FILE, fsync_directory, write_atomically
from ledger.errors import InconsistentLogError, VerificationError
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.store.log_entries import LogEntry
from ledger.store.signed_event import open_event
from ledger.tlog.offline_check import verify_entry
from ledger.tlog.proof_format import TlogProof
from ledger.tlog.tree_store import StoredCheckpoint

__all__ = ["checkpoint", "proof", "verify_proof"]

# A proof is for handing to others: its folder and files are readable by anyone.
_PUBLIC_FOLDER = 0o755


def checkpoint(settings: Settings, arguments: argparse.Namespace) -> int:
    """Cut, check and sign a checkpoint now and print it; with ``--every``, keep doing so."""
    every = None if arguments.every is None else _interval(arguments.every)
    ledger = open_ledger(settings)
    try:
        try:
            signed = ledger.checkpointer.cut()
        except InconsistentLogError:
            return EXIT_INTEGRITY  # the alarm is already on stderr
        if every is not None:
            return _keep_cutting(ledger, signed, every)
    finally:
        ledger.close()
    if signed is None:
        raise ConfigurationError("the log is empty: there is nothing to checkpoint yet")
    print(signed.note, end="")
    return EXIT_OK


def _keep_cutting(ledger: Ledger, signed: StoredCheckpoint | None, every: float) -> int:
    """The daemon: every ``every`` seconds sign what any process appended.

    Ctrl-C (SIGINT) or SIGTERM stops it between cuts: a cut under way is finished, published and
    announced first, so what is printed is always what was published.
    """
    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stop.set())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    announced = 0
    try:
        while True:
            if signed is not None and signed.size != announced:
                print(f"checkpoint of {signed.size} leaves", flush=True)
                announced = signed.size
            if stop.wait(every):
                return EXIT_OK
            signed = ledger.checkpointer.tick() or signed
    except InconsistentLogError:
        return EXIT_INTEGRITY  # the alarm is already on stderr
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _interval(text: str) -> float:
    """``--every``'s seconds: a positive, finite number (0 would busy-loop)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(
            f"--every {text!r} is not a positive number of seconds: e.g. --every 10"
        )
    return seconds


def proof(settings: Settings, arguments: argparse.Namespace) -> int:
    """Write an offline proof of one log entry: tlog-proof, entry, checkpoint and vkey."""
    out: Path = arguments.out
    _check_free(out)
    ledger = open_ledger(settings)
    try:
        entry = _entry(ledger, arguments)
        if entry.stored is None:
            raise VerificationError(f"leaf {entry.leaf_index} has no stored event")
        # The one strict reading path: no proof of an entry the application would refuse.
        open_event(entry.stored, ledger.keyring())
        signed = ledger.checkpointer.cut()
        if signed is None:
            raise VerificationError(f"leaf {entry.leaf_index} has no stored event")
        with ledger.tree.reading() as c:
            hashes = ledger.tree.inclusion_proof(c, entry.leaf_index, signed.size)
        vkey = log_vkey(settings, ledger.keystore)
    finally:
        ledger.close()
    try:
        # Served from stored subtrees that only `verify` checks: never hand out a proof that
        # `verify-proof` would reject.
        verify_inclusion(
            leaf_hash(entry.stored.state), entry.leaf_index, signed.size, hashes, signed.root
        )
    except VerificationError as exc:
        raise VerificationError(
            f"the stored tree gives no valid proof of leaf {entry.leaf_index}: {exc}"
        ) from None
    tlog = TlogProof(index=entry.leaf_index, hashes=tuple(hashes), checkpoint_note=signed.note)
    _write_folder(
        out,
        {
            "proof.tlog": tlog.to_text().encode("utf-8"),
            "entry.dsse.json": entry.stored.state,
            "checkpoint.txt": signed.note.encode("utf-8"),
            "log.vkey": (vkey + "\n").encode("utf-8"),
        },
    )
    print(f"leaf {entry.leaf_index} of {signed.size}: proof, entry, checkpoint and vkey in {out}")
    return EXIT_OK


def _check_free(out: Path) -> None:
    """``--out`` must be a new or empty folder: a proof never mixes with or replaces files."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ConfigurationError(f"--out {out} exists and is not a folder: choose a new folder")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigurationError(f"--out {out} is not empty: choose a new folder")


def _write_folder(out: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into a staging folder, then rename it to ``out``: all of them or none."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        for name, data in files.items():
            write_atomically(staging / name, data, mode=PUBLIC_FILE)
        os.chmod(staging, _PUBLIC_FOLDER)
        # rename(2) replaces an empty folder; one filled meanwhile fails it, leaving it intact.
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_directory(out.parent)


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
