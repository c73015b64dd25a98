"""Data stewardship: datasets and their content-addressed versions."""

from __future__ import annotations

from uuid import UUID

from domain.dataset import Dataset
from domain.roles import Command
from domain.service import GovernanceService

__all__ = ["DatasetCommands"]


class DatasetCommands(GovernanceService):
    """Commands of the data steward role."""

    def register_dataset(self, *, name: str, description: str, actor: str) -> UUID:
        """Register a dataset under a unique name; return its id."""
        with self._command(actor, Command.REGISTER_DATASET):
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
        with self._command(actor, Command.ADD_DATASET_VERSION):
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
