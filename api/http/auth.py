"""Who is calling: a bearer token names a principal; the ledger says which roles it holds.

- ``authenticated`` answers 401 for a missing, malformed, unknown, expired or revoked token
  (the token store compares hashes in constant time and never sees the token stored in clear);
- the roles are read from the ledger at each request, so revoking a role takes effect at once;
- ``reader`` lets every role but ``scoring_client`` read; a refused read is recorded on the
  ledger as a ``CommandRefused`` event, like a refused command. Commands themselves are
  authorised (and their refusals recorded) by the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from api.http.problems import HttpError
from api.http.services import Services, services
from api.tokens import TokenError
from domain.errors import NotFoundError
from domain.rules.roles import Role

__all__ = [
    "READ_ROLES",
    "Caller",
    "allowed_roles_of",
    "authenticated",
    "caller_for_secret",
    "reader",
    "require_roles",
]

READ_ROLES: frozenset[Role] = frozenset(Role) - {Role.SCORING_CLIENT}
"""Who may read the ledger's state: everyone but a scoring client."""

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    """An authenticated principal and the roles it holds now."""

    name: str
    roles: frozenset[Role]


def authenticated(request: Request, found: Annotated[Services, Depends(services)]) -> Caller:
    """The caller named by the request's bearer token; 401 when there is none valid."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HttpError(
            401,
            "unauthenticated",
            "send 'Authorization: Bearer <token>'; `govledger token create` issues one",
            _CHALLENGE,
        )
    return caller_for_secret(found, secret.strip())


def caller_for_secret(found: Services, secret: str) -> Caller:
    """The caller a token's ``secret`` names (the console's cookie shares this path);
    HttpError 401 for an unknown, malformed, expired or revoked token or an unregistered
    principal."""
    try:
        name = found.tokens.authenticate(secret)
    except TokenError as exc:
        raise HttpError(401, "invalid_token", str(exc), _CHALLENGE) from None
    try:
        principal = found.ledger.application.get_principal(name)
    except NotFoundError:
        raise HttpError(
            401, "invalid_token", f"the token's principal {name!r} is not registered", _CHALLENGE
        ) from None
    return Caller(name=name, roles=frozenset(principal.roles))


def require_roles(allowed: frozenset[Role], request_name: str) -> Any:
    """A dependency admitting callers holding one of ``allowed``; any other caller gets 403,
    and the refusal of ``request_name`` is recorded on the ledger."""

    def check(
        caller: Annotated[Caller, Depends(authenticated)],
        found: Annotated[Services, Depends(services)],
    ) -> Caller:
        if caller.roles.isdisjoint(allowed):
            needed = ", ".join(sorted(allowed))
            reason = f"{caller.name} holds none of the roles allowed {request_name} ({needed})"
            found.ledger.application.record_refusal(
                actor=caller.name, request=request_name, reason=reason
            )
            raise HttpError(403, "not_authorized", reason)
        return caller

    check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by allowed_roles_of
    return Depends(check)


def allowed_roles_of(dependency: object) -> frozenset[Role] | None:
    """The roles a ``require_roles`` dependency admits; None for any other callable."""
    found = getattr(dependency, "allowed_roles", None)
    return found if isinstance(found, frozenset) else None


def reader(request_name: str) -> Any:
    """``require_roles(READ_ROLES, request_name)``: every role reads but a scoring client."""
    return require_roles(READ_ROLES, request_name)
