"""Who is signed in to the console: the token, held in an HttpOnly, SameSite=Strict cookie.

The cookie's token is checked exactly as a bearer token is (``caller_for_secret``), and the
roles are read from the ledger at each request, so a revoked token or role signs out at once.
Only reading roles may sign in: a scoring client is refused.
"""

from __future__ import annotations

from fastapi import Request

from api.http.auth import READ_ROLES, Caller, caller_for_secret
from api.http.problems import HttpError
from api.http.services import services

__all__ = ["COOKIE", "LoginRefusedError", "sign_in", "signed_in"]

COOKIE = "govledger_console"


class LoginRefusedError(Exception):
    """A token that may not sign in; the message says why (never echoing the token)."""


def sign_in(request: Request, secret: str) -> Caller:
    """The caller ``secret`` authenticates, if it holds a reading role; else LoginRefusedError."""
    if not secret.strip():
        raise LoginRefusedError(
            "paste a token: `govledger token create --principal NAME` issues one"
        )
    try:
        caller = caller_for_secret(services(request), secret.strip())
    except HttpError as exc:
        raise LoginRefusedError(exc.detail) from None
    if caller.roles.isdisjoint(READ_ROLES):
        reason = f"{caller.name} holds no role that may read the ledger (a scoring client)"
        services(request).ledger.application.record_refusal(
            actor=caller.name, request="sign in to the console", reason=reason
        )
        raise LoginRefusedError(reason)
    return caller


def signed_in(request: Request) -> Caller | None:
    """The reader the request's cookie names, or None when there is none valid."""
    secret = request.cookies.get(COOKIE, "")
    if not secret:
        return None
    try:
        return sign_in(request, secret)
    except LoginRefusedError:
        return None
