"""One governance command as both front ends see it: its request, its roles, its response.

A ``CommandSpec`` is declared once, in the module of its resource (``api.registry.models`` and so
on); ``api.http.command_routes`` serves it as ``POST /v1<path>`` and ``api.registry_cli`` as the
``govledger <name>`` subcommand. Neither front end knows any command by name.

Contract of ``run(context, actor, request)``: it calls the governance application as ``actor``
(the token's principal over HTTP, ``--actor`` on the command line) and returns the response
model; every refusal is a ``DomainError`` the domain has already recorded on the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from api.settings import Settings
from domain.application import GovernanceApplication
from domain.rules.roles import ALLOWED_ROLES, Command, Role

__all__ = ["AnySpec", "CommandContext", "CommandSpec", "Request", "Response"]


class Request(BaseModel):
    """The body of a command: unknown fields are refused, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Response(BaseModel):
    """What a command answers."""

    model_config = ConfigDict(frozen=True)

    def line(self) -> str:
        """The short human line the CLI prints without ``--json``."""
        fields = self.model_dump(mode="json")
        return " ".join(f"{name}={value}" for name, value in fields.items()) or "done"


RequestT = TypeVar("RequestT", bound=Request)
ResponseT = TypeVar("ResponseT", bound=Response)


@dataclass(frozen=True)
class CommandContext:
    """What a command's ``run`` may use besides its request."""

    application: GovernanceApplication
    settings: Settings


@dataclass(frozen=True)
class CommandSpec(Generic[RequestT, ResponseT]):
    """A governance command, declared once for both front ends."""

    name: str
    """The CLI subcommand and the OpenAPI operation id, kebab-case: ``register-model``."""
    command: Command
    """The domain command: its allowed roles are ``ALLOWED_ROLES[command]``."""
    resource: str
    """The HTTP router (and OpenAPI tag) it belongs to: ``models``, ``approvals``..."""
    path: str
    """Its path under ``/v1``, served as POST: ``/models``."""
    request: type[RequestT]
    response: type[ResponseT]
    run: Callable[[CommandContext, str, RequestT], ResponseT]
    summary: str
    """One line for ``--help`` and the OpenAPI summary."""
    status_code: int = 200
    """201 when the command creates something addressable."""
    needs_ml: bool = False
    """True when ``run`` needs the ML adapters (``open_ledger(settings, with_ml=True)``)."""
    file_argument: str | None = None
    """An object field the CLI also reads from a positional FILE (``set-policy FILE``)."""

    @property
    def roles(self) -> frozenset[Role]:
        """The roles the domain allows to issue the command."""
        return ALLOWED_ROLES[self.command]


AnySpec = CommandSpec[Any, Any]
