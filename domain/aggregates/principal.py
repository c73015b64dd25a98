"""The principal aggregate: a person or service, its roles and its registered public keys."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.rules.roles import Role

__all__ = ["Principal"]


class Principal(Aggregate):
    """Someone who acts on the ledger; its id is derived from its unique name."""

    @staticmethod
    def create_id(name: str) -> UUID:
        """Derive the id from the name, so registering a name twice collides in the store."""
        return uuid5(NAMESPACE_URL, f"govledger:principal:{name}")

    @event("Registered")
    def __init__(self, *, name: str, roles: list[str], actor: str) -> None:
        self.name = name
        self.roles: set[Role] = {Role(role) for role in roles}
        self.keys: dict[str, str] = {}
        self.revoked_keys: set[str] = set()
        self.registered_by = actor

    @event("RoleGranted")
    def grant_role(self, *, role: str, actor: str) -> None:
        """Give the principal a role."""
        self.roles.add(Role(role))

    @event("RoleRevoked")
    def revoke_role(self, *, role: str, actor: str) -> None:
        """Take a role away."""
        self.roles.discard(Role(role))

    @event("KeyRegistered")
    def register_key(self, *, keyid: str, public_key_pem: str, actor: str) -> None:
        """Register a personal Ed25519 public key (PEM) under its key id."""
        self.keys[keyid] = public_key_pem

    @event("KeyRevoked")
    def revoke_key(self, *, keyid: str, actor: str) -> None:
        """Revoke a key: signatures by it are no longer accepted."""
        self.revoked_keys.add(keyid)

    def holds_any(self, roles: frozenset[Role]) -> bool:
        """True when the principal holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)
