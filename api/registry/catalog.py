"""Every governance command of the registry, in one tuple both front ends are built from.

Each ``domain.rules.roles.Command`` is served by exactly one spec, but for the exemptions
listed in ``SHARED_COMMANDS`` and ``UNSERVED_COMMANDS`` (checked by the registry's tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from api.registry import (
    approvals,
    datasets,
    deployments,
    explanations,
    findings,
    mitigations,
    models,
    monitoring,
    policy,
    principals,
    validation,
)
from api.registry.spec import AnySpec
from domain.rules.roles import Command

__all__ = ["COMMANDS", "SHARED_COMMANDS", "UNSERVED_COMMANDS", "spec_named"]

COMMANDS: tuple[AnySpec, ...] = (
    *principals.SPECS,
    *policy.SPECS,
    *datasets.SPECS,
    *models.SPECS,
    *validation.SPECS,
    *mitigations.SPECS,
    *approvals.SPECS,
    *deployments.SPECS,
    *findings.SPECS,
    *monitoring.SPECS,
    *explanations.SPECS,
)
"""The commands, in the order the CLI lists them and OpenAPI shows them."""

SHARED_COMMANDS: Mapping[Command, frozenset[str]] = MappingProxyType(
    {
        # One domain command, two ways in: a version trained elsewhere is recorded with its
        # digests; one trained here runs the trainer on registered data. Both are Trained.
        Command.TRAIN_MODEL_VERSION: frozenset({"record-model-version", "train-model-version"}),
        # Likewise an explanation computed elsewhere is recorded; one computed here runs the
        # explainer on the prediction's row. Both record an explanation.
        Command.RECORD_EXPLANATION: frozenset({"record-explanation", "explain-prediction"}),
    }
)
"""Commands served by more than one spec, with the names of those specs."""

UNSERVED_COMMANDS: frozenset[Command] = frozenset()
"""Commands no spec serves (none: every command is reachable from both front ends)."""


def spec_named(name: str) -> AnySpec:
    """The spec called ``name``; KeyError if none is."""
    for spec in COMMANDS:
        if spec.name == name:
            return spec
    raise KeyError(name)
