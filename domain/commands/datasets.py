"""Data stewardship: datasets and their content-addressed versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.aggregates.dataset import UNKNOWN_LICENSE, Dataset
from domain.commands.arguments import (
    check_count,
    check_list,
    check_name,
    check_text,
    json_object,
)
from domain.commands.service import GovernanceService, named_id
from domain.errors import InvalidArgumentError
from domain.rules.roles import Command
from domain.rules.vocabulary import Sensitivity, check_digest, parse

__all__ = ["DatasetCommands"]


class DatasetCommands(GovernanceService):
    """Commands of the data steward role."""

    def register_dataset(self, *, name: str, description: str, actor: str) -> UUID:
        """Register a dataset under a unique name; return its id."""
        with self._command(
            actor,
            Command.REGISTER_DATASET,
            subject=named_id(Dataset.create_id, name),
            description=description,
        ):
            check_name(name, "dataset name")
            check_text(description, "dataset description")
            dataset = Dataset(name=name, description=description, actor=actor)
            return self._register(dataset, f"dataset {name!r}", hint="add a version to it instead")

    def add_dataset_version(
        self,
        dataset_id: UUID,
        *,
        digest: str,
        row_count: int,
        columns: Sequence[str],
        protected_attributes: Sequence[str],
        sensitivity: str,
        actor: str,
        license: str = UNKNOWN_LICENSE,
        schema: Mapping[str, object] | None = None,
    ) -> int:
        """Add a content-addressed version to a dataset, under its licence (an SPDX id where one
        fits, else a short text) and ``schema`` (column to a JSON object describing its type,
        categories or range; none recorded as ``{}``); return its version number."""
        with self._command(actor, Command.ADD_DATASET_VERSION, subject=dataset_id, schema=schema):
            check_digest(digest, "dataset digest")
            check_count(row_count, "row count")
            names = _columns(columns, protected_attributes)
            level = parse(Sensitivity, sensitivity, "sensitivity")
            check_name(license, "licence")
            described = _schema(schema, names)
            dataset = self.get_dataset(dataset_id)
        dataset.add_version(
            digest=digest,
            row_count=row_count,
            columns=names,
            protected_attributes=list(protected_attributes),
            sensitivity=level.value,
            actor=actor,
            license=license,
            schema=described,
        )
        self.save(dataset)
        return dataset.versions[-1].number

    def get_dataset(self, dataset_id: UUID) -> Dataset:
        """Return the dataset with this id."""
        return self._get(Dataset, dataset_id, f"no dataset with id {dataset_id}: register it first")


def _columns(columns: Sequence[str], protected_attributes: Sequence[str]) -> list[str]:
    """The column names, distinct and non-empty; each protected attribute must be one of them."""
    names = [check_name(column, "column") for column in check_list(columns, "column")]
    if not names:
        raise InvalidArgumentError("a dataset version has at least one column")
    for position, column in enumerate(names):
        if column in names[:position]:
            raise InvalidArgumentError(f"column {column!r} is listed twice")
    for attribute in check_list(protected_attributes, "protected attribute"):
        if attribute not in names:
            raise InvalidArgumentError(
                f"protected attribute {attribute!r} is not a column of the version: "
                f"name one of {names}"
            )
    return names


def _schema(schema: Mapping[str, object] | None, columns: list[str]) -> dict[str, Any]:
    """The schema as recorded: each member names a column and describes it with an object."""
    if schema is None:
        return {}
    described = json_object(schema, "schema")
    for column, description in described.items():
        if column not in columns:
            raise InvalidArgumentError(
                f"schema column {column!r} is not a column of the version: name one of {columns}"
            )
        if not isinstance(description, dict):
            raise InvalidArgumentError(
                f"schema of column {column!r} is {description!r}, not an object "
                '(e.g. {"type": "integer", "minimum": 0})'
            )
    return described
