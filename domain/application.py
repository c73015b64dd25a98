"""The governance application: the service layer, one method per command (get, call, save)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.dataset import Dataset
from domain.errors import DuplicateError, NotFoundError

__all__ = ["GovernanceApplication"]


class GovernanceApplication(Application[UUID]):
    """Commands and queries over the governance ledger."""

    name = "govledger"

    def register_dataset(self, *, name: str, description: str, actor: str) -> UUID:
        """Register a dataset under a unique name; return its id."""
        dataset = Dataset(name=name, description=description, actor=actor)
        try:
            self.save(dataset)
        except IntegrityError:
            raise DuplicateError(
                f"dataset {name!r} is already registered: add a version to it instead"
            ) from None
        return dataset.id

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
        try:
            dataset: object = self.repository.get(dataset_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"no dataset with id {dataset_id}: register it first") from None
        assert isinstance(dataset, Dataset)
        return dataset
