"""The model developer's bias mitigation: a derived version trained with the mitigation."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.registry.fields import Created, Seed
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request
from domain.rules.roles import Command

__all__ = ["SPECS", "MitigationCreate"]

_Name = Annotated[str, Field(min_length=1, max_length=200)]


class MitigationCreate(Request):
    """Derive a bias-mitigated version of a version, for one protected attribute of its data."""

    version_id: UUID = Field(description="the version to mitigate")
    sensitive_attribute: _Name = Field(description="a protected attribute of its training data")
    method: _Name = Field(description="the mitigation method, e.g. threshold_optimizer")
    seed: Seed
    code_version: _Name = Field(description="the commit the mitigation ran from")
    environment: dict[_Name, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict,
        max_length=100,
        description="the environment it ran in (names to texts), over the original's",
    )


def _mitigate(context: CommandContext, actor: str, request: MitigationCreate) -> Created:
    version_id = context.application.mitigate_model_version(
        actor=actor,
        version_id=request.version_id,
        sensitive_attribute=request.sensitive_attribute,
        method=request.method,
        seed=request.seed,
        code_version=request.code_version,
        environment=request.environment,
    )
    return Created(id=version_id)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="mitigate-model-version",
        command=Command.MITIGATE_MODEL_VERSION,
        resource="mitigations",
        path="/mitigations",
        request=MitigationCreate,
        response=Created,
        run=_mitigate,
        summary="Derive a bias-mitigated version of a model version",
        status_code=201,
        needs_ml=True,
    ),
)
