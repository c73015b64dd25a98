"""The API token commands of the CLI: ``token create``, ``token revoke``, ``token list``.

``create`` issues a bearer token for a principal registered in the ledger and prints it once (it
is stored only as a hash, so nobody can show it again); ``list`` shows ids, principals, labels
and times, never a secret or a hash; ``revoke`` ends a token at once by its id.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from api.commands import EXIT_OK
from api.composition import open_ledger
from api.errors import ConfigurationError
from api.settings import Settings
from api.text_table import format_table
from api.tokens import TokenError, TokenInfo, TokenStore
from domain.errors import NotFoundError

__all__ = ["create", "list_tokens", "register", "revoke"]

_MAX_LABEL = 200
_MAX_DAYS = 3650

Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]


def register(add: Adder) -> None:
    """Add ``token`` and its actions through the CLI's ``add``."""
    token = add("token", create, "issue, list and revoke the HTTP API's bearer tokens")
    actions = token.add_subparsers(dest="token_action", required=True, metavar="ACTION")

    def action(name: str, handler: Handler, text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=text, description=text)
        parser.set_defaults(handler=handler)
        # SUPPRESS: an absent --db here keeps one given before the action.
        parser.add_argument(
            "--db",
            metavar="URL",
            default=argparse.SUPPRESS,
            help="database URL (overrides GOVLEDGER_DATABASE_URL)",
        )
        return parser

    issue = action("create", create, "issue a token for a principal; it is printed only once")
    issue.add_argument("--principal", required=True, metavar="NAME", help="a registered principal")
    issue.add_argument("--label", default="", metavar="TEXT", help="what the token is for")
    issue.add_argument(
        "--days",
        type=_days,
        metavar="N",
        help="valid this many days (default GOVLEDGER_TOKEN_DAYS)",
    )
    issue.add_argument("--json", action="store_true", help="print one JSON document")
    end = action("revoke", revoke, "revoke a token at once, by its id")
    end.add_argument("token_id", metavar="TOKEN_ID", help="the id `token list` shows")
    listing = action("list", list_tokens, "list the tokens (never their secrets)")
    listing.add_argument("--principal", metavar="NAME", help="only this principal's tokens")
    listing.add_argument("--json", action="store_true", help="print one JSON document")


def create(settings: Settings, arguments: argparse.Namespace) -> int:
    """Issue a token for a registered principal and print it, once."""
    label = _label(arguments.label)
    days = arguments.days if arguments.days is not None else settings.token_days
    ledger = open_ledger(settings)
    try:
        try:
            ledger.application.get_principal(arguments.principal)
        except NotFoundError as exc:
            raise ConfigurationError(
                f"{exc}: tokens are issued only to registered principals; an admin registers "
                "them first"
            ) from None
        issued = TokenStore(ledger.database).issue(
            arguments.principal, label=label, expires_at=datetime.now(UTC) + timedelta(days=days)
        )
    finally:
        ledger.close()
    warning = "the token is shown only this once (only its hash is stored): keep it secret now"
    if arguments.json:
        print(json.dumps({**_document(issued.info), "token": issued.secret, "warning": warning}))
        return EXIT_OK
    info = issued.info
    print(
        f"token {info.id} for {info.principal!r}, valid until {_time(info.expires_at)}"
        f"{f' ({info.label})' if info.label else ''}:"
    )
    print(issued.secret)
    print(f"{warning}; `govledger token revoke {info.id}` revokes it")
    return EXIT_OK


def revoke(settings: Settings, arguments: argparse.Namespace) -> int:
    """Revoke the token with id ``TOKEN_ID``."""
    ledger = open_ledger(settings)
    try:
        info = TokenStore(ledger.database).revoke(arguments.token_id)
    except TokenError as exc:
        raise ConfigurationError(str(exc)) from None
    finally:
        ledger.close()
    assert info.revoked_at is not None
    print(f"revoked token {info.id} of {info.principal!r} at {_time(info.revoked_at)}")
    return EXIT_OK


def list_tokens(settings: Settings, arguments: argparse.Namespace) -> int:
    """List the tokens (of ``--principal``), oldest first, without secrets."""
    ledger = open_ledger(settings)
    try:
        tokens = TokenStore(ledger.database).tokens(arguments.principal)
    finally:
        ledger.close()
    if arguments.json:
        print(json.dumps({"tokens": [_document(info) for info in tokens]}, indent=2))
        return EXIT_OK
    now = datetime.now(UTC)
    rows = [
        (
            info.id,
            info.principal,
            info.label,
            _time(info.created_at),
            _time(info.expires_at),
            _state(info, now),
        )
        for info in tokens
    ]
    print(format_table(("id", "principal", "label", "created", "expires", "state"), rows))
    return EXIT_OK


def _document(info: TokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "principal": info.principal,
        "label": info.label,
        "created_at": _time(info.created_at),
        "expires_at": _time(info.expires_at),
        "revoked_at": None if info.revoked_at is None else _time(info.revoked_at),
    }


def _state(info: TokenInfo, now: datetime) -> str:
    if info.revoked_at is not None:
        return f"revoked {_time(info.revoked_at)}"
    return "expired" if info.expires_at <= now else "valid"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _label(text: str) -> str:
    if len(text) > _MAX_LABEL or not text.isprintable():
        raise ConfigurationError(
            f"--label must be at most {_MAX_LABEL} printable characters (no line breaks)"
        )
    return text


def _days(text: str) -> int:
    """``--days``: a whole number of days, 1 to 3650."""
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= _MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days from 1 to 3650")
    return days
