"""Roles, the commands of the governance ledger, and which roles may issue each command.

The vocabulary of ``events.md``: a principal holds one or more roles; a command is refused,
and the refusal recorded, unless the actor holds one of the roles listed for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = ["ALLOWED_ROLES", "Command", "Role"]


class Role(StrEnum):
    """What a principal may do in the governance process."""

    ADMIN = "admin"
    DATA_STEWARD = "data_steward"
    MODEL_OWNER = "model_owner"
    MODEL_DEVELOPER = "model_developer"
    VALIDATOR = "validator"
    APPROVER = "approver"
    DEPLOYER = "deployer"
    MONITOR = "monitor"
    AUDITOR = "auditor"
    SCORING_CLIENT = "scoring_client"


class Command(StrEnum):
    """A command to the governance ledger, named as it is recorded when refused."""

    REGISTER_PRINCIPAL = "register_principal"
    GRANT_ROLE = "grant_role"
    REVOKE_ROLE = "revoke_role"
    REGISTER_KEY = "register_key"
    REVOKE_KEY = "revoke_key"
    REGISTER_DATASET = "register_dataset"
    ADD_DATASET_VERSION = "add_dataset_version"


ALLOWED_ROLES: Mapping[Command, frozenset[Role]] = MappingProxyType(
    {
        Command.REGISTER_PRINCIPAL: frozenset({Role.ADMIN}),
        Command.GRANT_ROLE: frozenset({Role.ADMIN}),
        Command.REVOKE_ROLE: frozenset({Role.ADMIN}),
        Command.REGISTER_KEY: frozenset({Role.ADMIN}),
        Command.REVOKE_KEY: frozenset({Role.ADMIN}),
        Command.REGISTER_DATASET: frozenset({Role.DATA_STEWARD}),
        Command.ADD_DATASET_VERSION: frozenset({Role.DATA_STEWARD}),
    }
)
"""The roles that may issue each command (events.md, "Actors and roles")."""
