"""The key binding aggregate: a personal public key belongs to one principal, for good.

Its id derives from the key id, so a second registration of the same public key, to the same or
to another principal, collides in the store even when two admins race. A revoked key stays bound:
it can never become someone else's, so one person can never be two approvers.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

__all__ = ["KeyBinding"]


class KeyBinding(Aggregate):
    """The principal a personal public key was registered to."""

    @staticmethod
    def create_id(keyid: str) -> UUID:
        """Derive the id from the key id."""
        return uuid5(NAMESPACE_URL, f"govledger:key:{keyid}")

    @event("Bound")
    def __init__(self, *, keyid: str, principal: str, actor: str) -> None:
        self.keyid = keyid
        self.principal = principal
        self.bound_by = actor
