"""The ``govledger`` command line.

Exit status: 0 success; 1 an integrity failure (``verify``); 2 a usage or configuration error.
Errors are one line on stderr naming what to fix, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError

from api import migrations
from api.composition import keystore_for, open_ledger
from api.database import parse_database_url
from api.demo import run_demo
from api.errors import ConfigurationError
from api.settings import Settings
from domain.errors import DomainError
from ledger.errors import KeyStoreError, LedgerError, StoreError, VerificationError
from ledger.verification import verify_store

__all__ = ["main"]

EXIT_OK, EXIT_INTEGRITY, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = _settings(arguments)
        status: int = arguments.handler(settings, arguments)
    except ConfigurationError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except (KeyStoreError, StoreError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except VerificationError as exc:
        return _fail(
            f"integrity failure: {exc}; run `govledger verify` for a full report", EXIT_INTEGRITY
        )
    except (DomainError, LedgerError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except PersistenceError as exc:
        return _fail(
            f"database error ({type(exc).__name__}: {exc}); check the database is up and "
            "GOVLEDGER_DATABASE_URL (or --db)",
            EXIT_USAGE,
        )
    return status


def _settings(arguments: argparse.Namespace) -> Settings:
    overrides = {"database_url": arguments.db} if arguments.db else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "GOVLEDGER_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None


def _fail(message: str, status: int) -> int:
    print(f"govledger: error: {message}", file=sys.stderr)
    return status


def _init(settings: Settings, _: argparse.Namespace) -> int:
    database = parse_database_url(settings.database_url)
    if database.engine == "sqlite" and database.sqlite_path is not None:
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    database.check_reachable(create=True)
    keystore = keystore_for(settings)
    created = keystore.create_missing()
    keystore.event_signer()  # refuse a passphrase that does not open existing keys
    keystore.log_signer()
    migrations.upgrade(database)
    print(f"database {database.describe()} is at schema {migrations.head_revision()}")
    for keyid in created:
        print(f"created key {keyid}")
    print(f"keys in {settings.home / 'keys'} (public keys in {settings.home / 'keys' / 'public'})")
    return EXIT_OK


def _demo(settings: Settings, arguments: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    try:
        result = run_demo(ledger.application)
        print(
            f"recorded dataset german-credit ({result.dataset_id}) version {result.version}: "
            f"{result.rows} rows, {result.digest}"
        )
    finally:
        ledger.close()
    return _verify(settings, arguments)


def _verify(settings: Settings, arguments: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    try:
        report = verify_store(ledger.log, ledger.keyring())
    finally:
        ledger.close()
    if getattr(arguments, "json", False):
        document = {
            "intact": report.intact,
            "leaves": report.leaves,
            "keyids": sorted(report.keyids),
            "problems": [
                {
                    "leaf_index": p.leaf_index,
                    "aggregate_id": p.aggregate_id,
                    "version": p.version,
                    "reason": p.reason,
                }
                for p in report.problems
            ],
        }
        print(json.dumps(document, indent=2))
    elif report.intact:
        print(
            f"ledger intact: {report.leaves} events, signatures and chains verified "
            f"({len(report.keyids)} signing key(s))"
        )
    else:
        print(f"ledger NOT intact: {len(report.problems)} problem(s) in {report.leaves} leaves")
        for problem in report.problems:
            print(f"  {problem}")
    return EXIT_OK if report.intact else EXIT_INTEGRITY


def _rotate_key(settings: Settings, _: argparse.Namespace) -> int:
    signer = keystore_for(settings).rotate_event_signer()
    print(f"new event-signing key {signer.keyid}; earlier public keys stay published")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govledger", description="A signed, verifiable governance ledger for ML models."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", metavar="URL", help="database URL (overrides GOVLEDGER_DATABASE_URL)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[Settings, argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(handler=handler)
        return sub

    add("init", _init, "migrate the schema and create the service and log keys if missing")
    demo = add("demo", _demo, "record a few signed events, then verify the ledger")
    demo.add_argument("--json", action="store_true", help="print the verify report as JSON")
    verify = add("verify", _verify, "verify every signature, chain and leaf of the ledger")
    verify.add_argument("--json", action="store_true", help="print one JSON document")
    add("rotate-key", _rotate_key, "replace the event-signing key; old events stay verifiable")
    return parser


if __name__ == "__main__":
    sys.exit(main())
