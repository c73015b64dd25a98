"""The governance application: the service layer, one method per command (get, call, save).

Every command names its actor. The actor must be a registered principal holding one of the
roles ``domain.roles.ALLOWED_ROLES`` lists for the command; otherwise the refusal is saved as a
``CommandRefused`` event and ``NotAuthorizedError`` is raised, with nothing else applied.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.dataset import Dataset
from domain.errors import DuplicateError, NotAuthorizedError, NotFoundError
from domain.principal import Principal
from domain.refusal import CommandRefusal
from domain.roles import ALLOWED_ROLES, Command, Role

__all__ = ["SYSTEM_ACTOR", "GovernanceApplication"]

SYSTEM_ACTOR = "system"
"""The actor of the bootstrap, before any principal exists."""

AggregateT = TypeVar("AggregateT", bound=Aggregate)


class GovernanceApplication(Application[UUID]):
    """Commands and queries over the governance ledger."""

    name = "govledger"

    # Principals

    def bootstrap_admin(self, name: str) -> bool:
        """Register ``name`` as the first admin unless it exists; return True if it was created."""
        try:
            principal = Principal(name=name, roles=[Role.ADMIN], actor=SYSTEM_ACTOR)
            self._register(principal, f"principal {name!r}")
        except DuplicateError:
            return False
        return True

    def register_principal(self, *, actor: str, name: str, roles: list[Role]) -> UUID:
        """Register a person or service with its roles; return its id."""
        self._authorize(actor, Command.REGISTER_PRINCIPAL)
        principal = Principal(name=name, roles=list(roles), actor=actor)
        return self._register(principal, f"principal {name!r}")

    def grant_role(self, *, actor: str, name: str, role: Role) -> None:
        """Give principal ``name`` a role."""
        self._authorize(actor, Command.GRANT_ROLE)
        principal = self.get_principal(name)
        principal.grant_role(role=role, actor=actor)
        self.save(principal)

    def revoke_role(self, *, actor: str, name: str, role: Role) -> None:
        """Take a role away from principal ``name``."""
        self._authorize(actor, Command.REVOKE_ROLE)
        principal = self.get_principal(name)
        principal.revoke_role(role=role, actor=actor)
        self.save(principal)

    def get_principal(self, name: str) -> Principal:
        """Return the principal registered under ``name``."""
        return self._get(Principal, Principal.create_id(name), f"no principal named {name!r}")

    # Datasets

    def register_dataset(self, *, name: str, description: str, actor: str) -> UUID:
        """Register a dataset under a unique name; return its id."""
        self._authorize(actor, Command.REGISTER_DATASET)
        dataset = Dataset(name=name, description=description, actor=actor)
        return self._register(dataset, f"dataset {name!r}", hint="add a version to it instead")

    def add_dataset_version(
        self,
        dataset_id: UUID,
        *,
        digest: str,
        row_count: int,
        columns: list[str],
        protected_attributes: list[str],
        sensitivity: str,
        actor: str,
    ) -> int:
        """Add a content-addressed version to a dataset; return its version number."""
        self._authorize(actor, Command.ADD_DATASET_VERSION)
        dataset = self.get_dataset(dataset_id)
        dataset.add_version(
            digest=digest,
            row_count=row_count,
            columns=columns,
            protected_attributes=protected_attributes,
            sensitivity=sensitivity,
            actor=actor,
        )
        self.save(dataset)
        return dataset.versions[-1].number

    def get_dataset(self, dataset_id: UUID) -> Dataset:
        """Return the dataset with this id."""
        return self._get(Dataset, dataset_id, f"no dataset with id {dataset_id}: register it first")

    # Rules

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
        self.save(CommandRefusal(actor=actor, command=command, reason=reason))
        raise NotAuthorizedError(reason)

    def _register(self, aggregate: Aggregate, what: str, hint: str = "") -> UUID:
        try:
            self.save(aggregate)
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
