"""The model owner's and developer's commands: register a model in the inventory, record a
version trained elsewhere, or train one here on registered dataset versions."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.registry.fields import Created, Digest, Metrics, Text
from api.registry.names import Description, JsonObject, Name, TextMap
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request
from domain.commands.arguments import MAX_EXACT_INTEGER
from domain.rules.roles import Command
from domain.rules.vocabulary import RiskTier

__all__ = [
    "SPECS",
    "DatasetRef",
    "ModelCreate",
    "ModelVersionRecord",
    "ModelVersionTraining",
]


class ModelCreate(Request):
    """Register a model in the inventory under a unique name."""

    name: Name = Field(description="the model's unique name", examples=["credit-risk"])
    purpose: Description = Field(description="what the model is for")
    intended_use: Description = Field(description="how and by whom it is meant to be used")
    restrictions: list[Text] = Field(
        default_factory=list, max_length=100, description="uses it must not be put to"
    )
    risk_tier: RiskTier = Field(description="its risk tier, which sets the approvals needed")
    owner: Name | None = Field(
        default=None, description="the principal answering for it (default: the caller)"
    )


class _Training(Request):
    """What every trained version records about how it was trained."""

    model_id: UUID = Field(description="the model the version belongs to")
    training_spec: JsonObject = Field(description="the training parameters, seed included")
    code_version: Name = Field(description="the commit the artifact was built from")
    environment: TextMap = Field(
        default_factory=dict, description="the training environment: names to texts"
    )
    derived_from: UUID | None = Field(
        default=None, description="the version this one was derived from (a retraining)"
    )


class ModelVersionRecord(_Training):
    """Record a version trained elsewhere, with its lineage, artifact digest and metrics."""

    dataset_versions: list[Annotated[str, Field(min_length=1)] | dict[str, Any]] = Field(
        min_length=1,
        max_length=100,
        description="the dataset versions it was trained on: each a text or an object",
    )
    artifact_digest: Digest = Field(description="the digest of the trained artifact")
    metrics: Metrics = Field(default_factory=dict)
    reference_digest: Digest | None = Field(
        default=None, description="the digest of its reference statistics, if any"
    )


class DatasetRef(BaseModel):
    """One registered dataset version: ``{"dataset_id", "version"}`` or ``"<id>:<version>"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset_id: UUID = Field(description="the dataset")
    version: int = Field(ge=1, le=MAX_EXACT_INTEGER, description="its version number")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            dataset_id, separator, version = value.rpartition(":")
            if not separator:
                raise ValueError(f"{value!r} is not <dataset id>:<version number>")
            return {"dataset_id": dataset_id, "version": version}
        return value


class ModelVersionTraining(_Training):
    """Train a version here on registered dataset versions, checked against their digests."""

    dataset_refs: list[DatasetRef] = Field(
        min_length=1, max_length=100, description="the dataset versions to train on"
    )


def _register(context: CommandContext, actor: str, request: ModelCreate) -> Created:
    model_id = context.application.register_model(
        actor=actor,
        name=request.name,
        purpose=request.purpose,
        intended_use=request.intended_use,
        restrictions=request.restrictions,
        risk_tier=request.risk_tier.value,
        owner=request.owner or "",
    )
    return Created(id=model_id)


def _record(context: CommandContext, actor: str, request: ModelVersionRecord) -> Created:
    version_id = context.application.train_model_version(
        actor=actor,
        model_id=request.model_id,
        dataset_versions=request.dataset_versions,
        training_spec=request.training_spec,
        code_version=request.code_version,
        environment=request.environment,
        artifact_digest=request.artifact_digest,
        metrics=request.metrics,
        derived_from=request.derived_from,
        reference_digest=request.reference_digest or "",
    )
    return Created(id=version_id)


def _train(context: CommandContext, actor: str, request: ModelVersionTraining) -> Created:
    version_id = context.application.train_model_version_from_data(
        actor=actor,
        model_id=request.model_id,
        dataset_refs=[(ref.dataset_id, ref.version) for ref in request.dataset_refs],
        training_spec=request.training_spec,
        code_version=request.code_version,
        environment=request.environment,
        derived_from=request.derived_from,
    )
    return Created(id=version_id)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="register-model",
        command=Command.REGISTER_MODEL,
        resource="models",
        path="/models",
        request=ModelCreate,
        response=Created,
        run=_register,
        summary="Register a model in the inventory",
        status_code=201,
    ),
    CommandSpec(
        name="record-model-version",
        command=Command.TRAIN_MODEL_VERSION,
        resource="models",
        path="/models/versions",
        request=ModelVersionRecord,
        response=Created,
        run=_record,
        summary="Record a version of a model trained elsewhere",
        status_code=201,
    ),
    CommandSpec(
        name="train-model-version",
        command=Command.TRAIN_MODEL_VERSION,
        resource="models",
        path="/models/versions/train",
        request=ModelVersionTraining,
        response=Created,
        run=_train,
        summary="Train a version of a model on registered dataset versions",
        status_code=201,
        needs_ml=True,
    ),
)
