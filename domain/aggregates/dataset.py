"""The dataset aggregate: a registered data source and its content-addressed versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import NotFoundError

__all__ = ["UNKNOWN_LICENSE", "Dataset", "DatasetVersion"]

UNKNOWN_LICENSE = "unknown"
"""The licence of a version recorded before licences were (``VersionAdded`` v1)."""


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
    license: str = UNKNOWN_LICENSE
    schema: Mapping[str, Any] = field(default_factory=dict)


class Dataset(Aggregate):
    """A dataset registered by a data steward; its id is derived from its unique name."""

    class VersionAdded(Aggregate.Event):
        """A version of the data was added; v2 records its licence (an SPDX id where one fits),
        v3 its schema (column to type, categories or range)."""

        class_version = 3

        digest: str
        row_count: int
        columns: list[str]
        protected_attributes: list[str]
        sensitivity: str
        actor: str
        license: str
        schema: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Versions recorded before licences were have an unknown licence."""
            state["license"] = UNKNOWN_LICENSE

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Versions recorded before schemas were have an empty one."""
            state["schema"] = {}

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

    def dataset_version(self, number: int) -> DatasetVersion:
        """The version numbered ``number``, else NotFoundError."""
        if not 1 <= number <= len(self.versions):
            raise NotFoundError(
                f"dataset {self.name!r} has no version {number}: it has {len(self.versions)}"
            )
        return self.versions[number - 1]

    def add_version(
        self,
        *,
        digest: str,
        row_count: int,
        columns: list[str],
        protected_attributes: list[str],
        sensitivity: str,
        actor: str,
        license: str = UNKNOWN_LICENSE,
        schema: dict[str, Any] | None = None,
    ) -> None:
        """Record a new version of the data, by content digest, under its licence and schema."""
        # eventsourcing 9.5.6 treats every keyword-only parameter of an @event method as
        # required, defaults or not: the default lives here, on the undecorated command.
        self._version_added(
            digest=digest,
            row_count=row_count,
            columns=columns,
            protected_attributes=protected_attributes,
            sensitivity=sensitivity,
            actor=actor,
            license=license,
            schema={} if schema is None else schema,
        )

    @event(VersionAdded)
    def _version_added(
        self,
        *,
        digest: str,
        row_count: int,
        columns: list[str],
        protected_attributes: list[str],
        sensitivity: str,
        actor: str,
        license: str,
        schema: dict[str, Any],
    ) -> None:
        self.versions.append(
            DatasetVersion(
                number=len(self.versions) + 1,
                digest=digest,
                row_count=row_count,
                columns=tuple(columns),
                protected_attributes=tuple(protected_attributes),
                sensitivity=sensitivity,
                added_by=actor,
                license=license,
                schema=dict(schema),
            )
        )
