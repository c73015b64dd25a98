"""The model aggregate: an inventory record (SR 11-7) of a model and its versions."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

__all__ = ["Model"]


class Model(Aggregate):
    """A model registered by its owner; its id is derived from its unique name."""

    @staticmethod
    def create_id(name: str) -> UUID:
        """Derive the id from the name, so registering a name twice collides in the store."""
        return uuid5(NAMESPACE_URL, f"govledger:model:{name}")

    @event("Registered")
    def __init__(
        self,
        *,
        name: str,
        purpose: str,
        intended_use: str,
        restrictions: list[str],
        owner: str,
        risk_tier: str,
        actor: str,
    ) -> None:
        self.name = name
        self.purpose = purpose
        self.intended_use = intended_use
        self.restrictions = list(restrictions)
        self.owner = owner
        self.risk_tier = risk_tier
        self.registered_by = actor
        self.version_ids: list[UUID] = []

    @event("VersionAdded")
    def add_version(self, *, version_id: UUID, actor: str) -> None:
        """List a newly trained version in the inventory."""
        self.version_ids.append(version_id)

    @property
    def status(self) -> str:
        """``registered`` until a version is trained, then ``in_development``."""
        return "in_development" if self.version_ids else "registered"

    @property
    def next_version_number(self) -> int:
        """The number the next trained version takes."""
        return len(self.version_ids) + 1
