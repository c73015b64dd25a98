"""The data steward's commands: register a dataset, add a content-addressed version of it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from api.registry.fields import Created, Digest
from api.registry.names import Description, Name, Names
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request, Response
from domain.aggregates.dataset import UNKNOWN_LICENSE
from domain.commands.arguments import MAX_EXACT_INTEGER
from domain.rules.roles import Command
from domain.rules.vocabulary import Sensitivity

__all__ = ["SPECS", "DatasetCreate", "DatasetVersionCreate", "DatasetVersionCreated"]


class DatasetCreate(Request):
    """Register a dataset under a unique name."""

    name: Name = Field(description="the dataset's unique name", examples=["german-credit"])
    description: Description = Field(description="what the data is and where it comes from")


class DatasetVersionCreate(Request):
    """Add a version of a dataset, recorded by the digest of its content."""

    dataset_id: UUID = Field(description="the dataset")
    digest: Digest = Field(description="the digest of the version's content")
    row_count: int = Field(ge=0, le=MAX_EXACT_INTEGER, description="how many rows it has")
    columns: Names = Field(min_length=1, description="its column names, distinct")
    protected_attributes: Names = Field(
        default_factory=list, description="the columns that are protected attributes"
    )
    sensitivity: Sensitivity = Field(description="how sensitive the data is")
    license: Name = Field(
        default=UNKNOWN_LICENSE, description="its licence: an SPDX id where one fits"
    )
    schema_: dict[str, dict[str, Any]] | None = Field(
        default=None,
        alias="schema",
        description='column to a JSON object describing it, e.g. {"age": {"type": "integer"}}',
    )


class DatasetVersionCreated(Response):
    """The number of the new version."""

    version: int = Field(description="the version number, from 1")


def _register(context: CommandContext, actor: str, request: DatasetCreate) -> Created:
    dataset_id = context.application.register_dataset(
        actor=actor, name=request.name, description=request.description
    )
    return Created(id=dataset_id)


def _add_version(
    context: CommandContext, actor: str, request: DatasetVersionCreate
) -> DatasetVersionCreated:
    number = context.application.add_dataset_version(
        request.dataset_id,
        actor=actor,
        digest=request.digest,
        row_count=request.row_count,
        columns=request.columns,
        protected_attributes=request.protected_attributes,
        sensitivity=request.sensitivity.value,
        license=request.license,
        schema=request.schema_,
    )
    return DatasetVersionCreated(version=number)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="register-dataset",
        command=Command.REGISTER_DATASET,
        resource="datasets",
        path="/datasets",
        request=DatasetCreate,
        response=Created,
        run=_register,
        summary="Register a dataset",
        status_code=201,
    ),
    CommandSpec(
        name="add-dataset-version",
        command=Command.ADD_DATASET_VERSION,
        resource="datasets",
        path="/datasets/versions",
        request=DatasetVersionCreate,
        response=DatasetVersionCreated,
        run=_add_version,
        summary="Add a content-addressed version of a dataset",
        status_code=201,
    ),
)
