"""The base of the governance application: its ports and the rules every command goes through.

A command runs inside ``_command(actor, command)``: the actor's role is checked first; any
``RuleError`` raised by the checks that follow is recorded as a ``CommandRefused`` event before
it propagates. Commands save only after every check, so a refusal applies nothing else.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import NoReturn, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import (
    DomainError,
    DuplicateError,
    NotAuthorizedError,
    NotFoundError,
    RuleError,
    SignatureError,
)
from domain.finding import Finding
from domain.model_version import ModelVersion
from domain.policy import Policy, default_policy_document
from domain.policy_history import PolicyHistory
from domain.ports import Clock, SignatureVerifier
from domain.principal import Principal
from domain.refusal import CommandRefusal
from domain.roles import ALLOWED_ROLES, Command
from domain.signing import check_signature, check_signed_at
from domain.statements import Statement

__all__ = ["SYSTEM_ACTOR", "GovernanceService", "UTCClock"]

SYSTEM_ACTOR = "system"
"""The actor of the bootstrap, before any principal exists."""

AggregateT = TypeVar("AggregateT", bound=Aggregate)


class UTCClock:
    """The system clock, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


class GovernanceService(Application[UUID]):
    """The ports of the governance application and the helpers its commands share."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        signatures: SignatureVerifier | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.signatures = signatures
        self.clock: Clock = clock or UTCClock()

    def get_principal(self, name: str) -> Principal:
        """Return the principal registered under ``name``."""
        return self._get(Principal, Principal.create_id(name), f"no principal named {name!r}")

    def findings_of(self, version: ModelVersion) -> list[Finding]:
        """Every finding raised against ``version``, in the order raised."""
        return [
            self._get(Finding, finding_id, f"no finding with id {finding_id}")
            for finding_id in version.finding_ids
        ]

    def current_policy(self) -> Policy:
        """The policy in force: the last one set, else the defaults of events.md."""
        try:
            history = self._get(PolicyHistory, PolicyHistory.create_id(), "no policy set")
        except NotFoundError:
            return Policy.from_document(default_policy_document())
        # The recorded digest is of the document as set; its stored JSON may spell numbers
        # differently (1.0 as 1), so the digest is taken from the event, not recomputed.
        return replace(Policy.from_document(history.document), digest=history.digest)

    @contextmanager
    def _command(self, actor: str, command: Command) -> Iterator[None]:
        """Authorize ``actor``, then record any rule that refuses the command in the block."""
        self._authorize(actor, command)
        try:
            yield
        except RuleError as error:
            self._refuse(actor, command, error)

    def _authorize(self, actor: str, command: Command) -> None:
        """Refuse, and record the refusal, unless ``actor`` holds a role allowed ``command``."""
        allowed = ALLOWED_ROLES[command]
        try:
            principal = self.get_principal(actor)
        except NotFoundError:
            reason = f"{actor!r} is not a registered principal: an admin must register it"
        else:
            if principal.holds_any(allowed):
                return
            needed = " or ".join(sorted(allowed))
            reason = f"{actor!r} may not {command}: it needs the role {needed}, granted by an admin"
        self._refuse(actor, command, NotAuthorizedError(reason))

    def _refuse(self, actor: str, command: Command, error: DomainError) -> NoReturn:
        """Record that ``actor`` was refused ``command`` for ``error``, then raise it."""
        self.save(CommandRefusal(actor=actor, command=command, reason=str(error)))
        raise error

    def _verify_signed(
        self, actor: str, statement: Statement, *, signature: bytes, keyid: str
    ) -> str:
        """Check ``actor``'s signature over ``statement``; return it as base64 for the event."""
        if self.signatures is None:
            raise SignatureError(
                f"{statement.action} needs a signature verifier and none is configured: "
                "construct the application with signatures=..."
            )
        check_signed_at(statement.signed_at, self.clock.now())
        check_signature(
            self.signatures,
            self.get_principal(actor),
            statement,
            signature=signature,
            keyid=keyid,
        )
        return base64.b64encode(signature).decode("ascii")

    def _register(
        self,
        aggregate: Aggregate,
        what: str,
        hint: str = "",
        *extra: Aggregate,
    ) -> UUID:
        """Save a new aggregate with a name-derived id; DuplicateError when the name is taken."""
        try:
            self.save(aggregate, *extra)
        except IntegrityError:
            raise DuplicateError(
                f"{what} is already registered" + (f": {hint}" if hint else "")
            ) from None
        return aggregate.id

    def _get(self, kind: type[AggregateT], aggregate_id: UUID, missing: str) -> AggregateT:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(missing) from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(missing)
        return aggregate
