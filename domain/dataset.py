"""The dataset aggregate: a registered data source and its content-addressed versions."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

__all__ = ["Dataset", "DatasetVersion"]


@dataclass(frozen=True)
class DatasetVersion:
    """One immutable version of a dataset, identified by the SHA-256 of its content."""

    number: int
    digest: str
    row_count: int
    columns: tuple[str, ...]
    protected_attributes: tuple[str, ...]
    sensitivity: str
    added_by: str


class Dataset(Aggregate):
    """A dataset registered by a data steward; its id is derived from its unique name."""

    @staticmethod
    def create_id(name: str) -> UUID:
        """Derive the id from the name, so registering a name twice collides in the store."""
        return uuid5(NAMESPACE_URL, f"govledger:dataset:{name}")

    @event("Registered")
    def __init__(self, *, name: str, description: str, actor: str) -> None:
        self.name = name
        self.description = description
        self.registered_by = actor
        self.versions: list[DatasetVersion] = []

    @event("VersionAdded")
    def add_version(
        self,
        *,
        digest: str,
        row_count: int,
        columns: list[str],
        protected_attributes: list[str],
        sensitivity: str,
        actor: str,
    ) -> None:
        """Record a new version of the data, by content digest."""
        self.versions.append(
            DatasetVersion(
                number=len(self.versions) + 1,
                digest=digest,
                row_count=row_count,
                columns=tuple(columns),
                protected_attributes=tuple(protected_attributes),
                sensitivity=sensitivity,
                added_by=actor,
            )
        )
