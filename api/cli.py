"""The ``govledger`` command line.

Exit status: 0 success; 1 an integrity failure (``verify``, ``checkpoint``, ``verify-proof``);
2 a usage or configuration error. Errors are one line on stderr naming what to fix, never a
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError

from api import (
    artifact_commands,
    commands,
    export_commands,
    log_commands,
    read_commands,
    registry_cli,
    scoring_commands,
    serve,
    signing_commands,
    token_commands,
)
from api.commands import EXIT_INTEGRITY, EXIT_USAGE
from api.errors import ApiError, ConfigurationError
from api.failure_lines import database_error_line, os_error_line
from api.settings import Settings
from domain.errors import DomainError
from ledger.errors import LedgerError, VerificationError
from projections.errors import ProjectionError, ReadSideError

__all__ = ["main"]

Handler = Callable[[Settings, argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    arguments = _parser().parse_args(argv)
    _report_alarms()
    try:
        if arguments.offline is not None:
            status: int = arguments.offline(arguments)
        else:
            status = arguments.handler(_settings(arguments), arguments)
    except VerificationError as exc:
        return _fail(
            f"integrity failure: {exc}; run `govledger verify` for a full report", EXIT_INTEGRITY
        )
    except ReadSideError as exc:  # a log that will not project is an integrity failure
        return _fail(str(exc), EXIT_INTEGRITY if isinstance(exc, ProjectionError) else EXIT_USAGE)
    except (ApiError, DomainError, LedgerError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except PersistenceError as exc:
        return _fail(database_error_line(exc), EXIT_USAGE)
    except OSError as exc:  # a path missing, of the wrong kind or closed to the user
        return _fail(os_error_line(exc), EXIT_USAGE)
    return status


def _settings(arguments: argparse.Namespace) -> Settings:
    overrides = {"database_url": arguments.db} if arguments.db else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "GOVLEDGER_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None


def _report_alarms() -> None:
    """Show the ledger's alarms (refused checkpoints) on stderr, once, as they happen."""
    alarms = logging.getLogger("govledger.alarm")
    if any(getattr(handler, "govledger_cli", False) for handler in alarms.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("govledger: ALARM: %(message)s"))
    handler.govledger_cli = True  # type: ignore[attr-defined]
    alarms.addHandler(handler)


def _fail(message: str, status: int) -> int:
    # One line whatever the message holds: a driver's or validator's text may span several.
    print(f"govledger: error: {' '.join(message.splitlines())}", file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govledger", description="A signed, verifiable governance ledger for ML models."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", metavar="URL", help="database URL (overrides GOVLEDGER_DATABASE_URL)"
    )
    commands_ = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, text: str) -> argparse.ArgumentParser:
        sub = commands_.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(handler=handler, offline=None)
        return sub

    init = add(
        "init",
        commands.init,
        "migrate the schema and create the keys of a new ledger; on an initialised one, check "
        "GOVLEDGER_HOME holds the keys that signed it",
    )
    init.add_argument(
        "--owner-db",
        metavar="URL",
        help="PostgreSQL: migrate as this role, which owns the tables, and grant the service "
        "role in GOVLEDGER_DATABASE_URL only SELECT and INSERT (default: one role does both; "
        "leave the password out of URL and use PGPASSWORD or ~/.pgpass)",
    )
    demo = add(
        "demo",
        commands.demo,
        "run the governed life of the credit-risk model on the German credit data (train, "
        "validate, mitigate, approve, deploy, score, explain, monitor, retrain), then verify",
    )
    demo.add_argument("--json", action="store_true", help="print the verify report as JSON")
    demo.add_argument(
        "--data-only",
        action="store_true",
        help="only record the German credit data set and a new version of it (a few seconds)",
    )
    verify = add("verify", commands.verify, "verify every signature, chain, leaf and checkpoint")
    verify.add_argument("--json", action="store_true", help="print one JSON document")
    verify.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        metavar="FILE",
        help="also check the log against a checkpoint you hold (repeatable)",
    )
    rotate = add(
        "rotate-key",
        commands.rotate_key,
        "retire the event-signing key by a signed rotation in the log; old events stay verifiable",
    )
    rotate.add_argument(
        "--log",
        action="store_true",
        help="rotate the transparency-log key instead; old checkpoints stay verifiable",
    )
    rotate.add_argument(
        "--repair",
        action="store_true",
        help="settle a rotation interrupted by a crash, as the log says it ended (nothing else)",
    )
    cut = add("checkpoint", log_commands.checkpoint, "cut, check and sign a checkpoint now")
    cut.add_argument(
        "--every",
        metavar="SECONDS",
        help="then keep checking the log this often and sign what was appended since, by any "
        "process (a small daemon; stop with Ctrl-C); a positive number of seconds",
    )
    proof = add("proof", log_commands.proof, "write an offline inclusion proof of one log entry")
    which = proof.add_mutually_exclusive_group(required=True)
    which.add_argument("--leaf", type=int, metavar="N", help="the entry at leaf index N")
    which.add_argument("--event", metavar="ID:VERSION", help="the entry of this event")
    proof.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="a new or empty folder to write"
    )
    text = "check an offline proof without a database: yes or no"
    check = commands_.add_parser("verify-proof", help=text, description=text)
    check.set_defaults(offline=log_commands.verify_proof)
    check.add_argument("--proof", type=Path, required=True, help="the tlog-proof file")
    check.add_argument("--entry", type=Path, required=True, help="the entry (DSSE envelope)")
    check.add_argument("--vkey", type=Path, required=True, help="the log's C2SP verifier key")
    check.add_argument("--checkpoint", type=Path, help="a checkpoint you trust (optional)")
    check.add_argument("--origin", help="the log origin to pin (default: the vkey's name)")
    signing_commands.register(commands_)
    read_commands.register(add)
    token_commands.register(add)
    registry_cli.register(add)
    artifact_commands.register(add)
    export_commands.register(add, commands_)
    serve.register(add)
    scoring_commands.register(add)
    return parser


if __name__ == "__main__":
    sys.exit(main())
