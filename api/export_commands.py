"""``govledger export`` writes a model's evidence bundle; ``verify-bundle`` checks one offline.

``export --model NAME [--version V] [--as-of T] --out DIR`` writes the bundle cut at a signed
checkpoint (``--out`` ending in ``.tar.gz``: one reproducible archive instead of a folder). The
same ledger state and checkpoint give the same bytes. ``verify-bundle DIR`` needs no database,
no network and no key but the bundle's: exit 0 when everything in it verifies, 1 naming every
file with a problem, 2 for a path that is not a bundle.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from api.commands import EXIT_INTEGRITY, EXIT_OK
from api.composition import open_ledger
from api.errors import ConfigurationError, InputFileError
from api.exports import layout
from api.exports.archive import read_bundle, tar_gz, write_folder
from api.exports.assemble import gather
from api.exports.bundle import bundle_files
from api.exports.predictions import extract_predictions
from api.exports.verification import verify_files
from api.files import read_text
from api.settings import Settings
from ledger.durable_files import PUBLIC_FILE, write_atomically

__all__ = ["export", "export_demo_bundle", "register", "verify_bundle", "write_bundle"]

Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]
ARCHIVE_SUFFIX = ".tar.gz"
DEMO_MODEL = "credit-risk"


def register(add: Adder, commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``export`` through the CLI's ``add`` and the offline ``verify-bundle``."""
    bundle = add("export", export, "write the evidence bundle of a model, cut at a checkpoint")
    bundle.add_argument(
        "--model", required=True, metavar="NAME", help="the model, e.g. credit-risk"
    )
    bundle.add_argument("--version", type=int, metavar="V", help="only this version (default: all)")
    bundle.add_argument(
        "--as-of",
        metavar="T",
        help="cut at the latest checkpoint signed at or before this log size or RFC 3339 time "
        "(default: the log as it is now, checkpointed first)",
    )
    bundle.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help=f"a new or empty folder to write; a name ending in {ARCHIVE_SUFFIX} writes one "
        "reproducible archive instead",
    )
    text = "verify an evidence bundle offline (no database, no network): exit 0, 1 or 2"
    check = commands.add_parser("verify-bundle", help=text, description=text)
    check.set_defaults(offline=verify_bundle)
    check.add_argument("bundle", type=Path, metavar="DIR", help="the bundle folder or .tar.gz")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.add_argument(
        "--vkey",
        type=Path,
        metavar="FILE",
        help="the log's C2SP verifier key as you obtained it from the ledger's operator; the "
        "bundle's keys/log.vkey must be this key",
    )


def export(settings: Settings, arguments: argparse.Namespace) -> int:
    """Gather the model's evidence at the cut, build every file, write them all or none."""

    out: Path = arguments.out
    _check_destination(out)
    ledger = open_ledger(settings)
    try:
        evidence = gather(ledger, arguments.model, arguments.version, arguments.as_of)
        files = bundle_files(evidence, extract_predictions(ledger, evidence.context))
    finally:
        ledger.close()
    write_bundle(out, files)
    context = evidence.context
    print(
        f"bundle of {context.model}"
        + (f" v{context.version}" if context.version is not None else "")
        + f" at checkpoint {context.checkpoint.size}: {len(context.events)} signed events, "
        f"{len(files)} files in {out}; check it with `govledger verify-bundle {out}`"
    )
    return EXIT_OK


def export_demo_bundle(settings: Settings, *, quiet: bool = False) -> int:
    """The demo's last step: export credit-risk's bundle under ``GOVLEDGER_HOME/bundles`` and
    verify it as an auditor would, offline. ``quiet`` prints to stderr (``demo --json``)."""

    ledger = open_ledger(settings)
    try:
        evidence = gather(ledger, DEMO_MODEL, None, None)
        files = bundle_files(evidence, extract_predictions(ledger, evidence.context))
    finally:
        ledger.close()
    out = settings.home / "bundles" / f"{DEMO_MODEL}-{evidence.context.as_of}"
    if not out.exists():  # the same state exported before gives the same bytes
        write_bundle(out, files)
    report = verify_files(read_bundle(out))
    stream = sys.stderr if quiet else sys.stdout
    verdict = "intact" if report.intact else f"NOT intact: {report.problems[0]}"
    print(
        f"evidence bundle of {DEMO_MODEL} at checkpoint {report.size}: {len(files)} files in "
        f"{out}; verify-bundle: {verdict}",
        file=stream,
    )
    return EXIT_OK if report.intact else EXIT_INTEGRITY


def write_bundle(out: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` as the folder ``out``, or as one archive when its name says so."""

    if out.name.endswith(ARCHIVE_SUFFIX):
        out.parent.mkdir(parents=True, exist_ok=True)
        archive = tar_gz(files, out.name.removesuffix(ARCHIVE_SUFFIX))
        write_atomically(out, archive, mode=PUBLIC_FILE)
    else:
        write_folder(out, files)


def _check_destination(out: Path) -> None:

    if out.name.endswith(ARCHIVE_SUFFIX):
        if out.exists() or out.is_symlink():
            raise ConfigurationError(f"--out {out} exists: choose a new file name")
        return
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ConfigurationError(f"--out {out} exists and is not a folder: choose a new folder")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigurationError(f"--out {out} is not empty: choose a new folder")


def verify_bundle(arguments: argparse.Namespace) -> int:
    """Check a bundle with no database: print what it is and every problem, by file."""

    trusted = read_text(arguments.vkey).strip() if arguments.vkey else None
    files = read_bundle(arguments.bundle)
    if not files.keys() & {layout.MANIFEST, layout.CHECKPOINT, layout.EVENTS}:
        raise InputFileError(
            f"{arguments.bundle} is not an evidence bundle: it holds none of {layout.MANIFEST}, "
            f"{layout.CHECKPOINT}, {layout.EVENTS} (write one with `govledger export`)"
        )
    report = verify_files(files, trusted_vkey=trusted)
    if arguments.json:
        print(json.dumps(report.to_json(), indent=2))
    elif report.intact:
        print(
            f"bundle intact: {report.model}"
            + (f" v{report.version}" if report.version is not None else "")
            + f", {report.events} signed events proven in {report.origin}'s tree of "
            f"{report.size} leaves (root {report.root}); manifest signed by "
            f"{report.manifest_keyid}; {report.files} files match their digests and every "
            "document matches what the events say"
        )
    else:
        print(f"bundle NOT intact: {len(report.problems)} problem(s)")
        for problem in report.problems:
            print(f"  {problem.file}: {problem.detail}")
    if not arguments.json:
        for warning in report.warnings:
            print(f"  warning: {warning}")
    return EXIT_OK if report.intact else EXIT_INTEGRITY
