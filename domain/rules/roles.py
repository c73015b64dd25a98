"""Roles, the commands of the governance ledger, and which roles may issue each command.

The vocabulary of ``docs/events.md``: a principal holds one or more roles; a command is refused,
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
    SET_POLICY = "set_policy"
    REGISTER_MODEL = "register_model"
    TRAIN_MODEL_VERSION = "train_model_version"
    START_VALIDATION = "start_validation"
    CONCLUDE_VALIDATION = "conclude_validation"
    GRANT_APPROVAL = "grant_approval"
    REJECT_APPROVAL = "reject_approval"
    REVOKE_APPROVAL = "revoke_approval"
    DEPLOY = "deploy"
    ROLL_BACK = "roll_back"
    RETIRE = "retire"
    RECORD_MONITORING_RESULT = "record_monitoring_result"
    REGISTER_MONITOR = "register_monitor"
    EVALUATE_MONITORING_WINDOW = "evaluate_monitoring_window"
    RECORD_EXPLANATION = "record_explanation"
    RAISE_FINDING = "raise_finding"
    ASSIGN_FINDING = "assign_finding"
    REMEDIATE_FINDING = "remediate_finding"
    ACCEPT_RISK = "accept_risk"
    CLOSE_FINDING = "close_finding"
    ASSESS_MODEL_VERSION = "assess_model_version"
    MITIGATE_MODEL_VERSION = "mitigate_model_version"
    SEAL_PREDICTION_SEGMENT = "seal_prediction_segment"
    RECORD_MONITORING_WINDOW = "record_monitoring_window"
    RECORD_UAT_EVIDENCE = "record_uat_evidence"


ALLOWED_ROLES: Mapping[Command, frozenset[Role]] = MappingProxyType(
    {
        Command.REGISTER_PRINCIPAL: frozenset({Role.ADMIN}),
        Command.GRANT_ROLE: frozenset({Role.ADMIN}),
        Command.REVOKE_ROLE: frozenset({Role.ADMIN}),
        Command.REGISTER_KEY: frozenset({Role.ADMIN}),
        Command.REVOKE_KEY: frozenset({Role.ADMIN}),
        Command.REGISTER_DATASET: frozenset({Role.DATA_STEWARD}),
        Command.ADD_DATASET_VERSION: frozenset({Role.DATA_STEWARD}),
        Command.SET_POLICY: frozenset({Role.ADMIN}),
        Command.REGISTER_MODEL: frozenset({Role.MODEL_OWNER}),
        Command.TRAIN_MODEL_VERSION: frozenset({Role.MODEL_DEVELOPER}),
        Command.START_VALIDATION: frozenset({Role.VALIDATOR}),
        Command.CONCLUDE_VALIDATION: frozenset({Role.VALIDATOR}),
        Command.GRANT_APPROVAL: frozenset({Role.APPROVER}),
        Command.REJECT_APPROVAL: frozenset({Role.APPROVER}),
        # Only the approver who granted an approval revokes it (``check_may_revoke``).
        Command.REVOKE_APPROVAL: frozenset({Role.APPROVER}),
        Command.DEPLOY: frozenset({Role.DEPLOYER}),
        Command.ROLL_BACK: frozenset({Role.DEPLOYER}),
        Command.RETIRE: frozenset({Role.DEPLOYER}),
        Command.RECORD_MONITORING_RESULT: frozenset({Role.MONITOR}),
        # A monitor's threshold overrides are a governance choice, so the owner makes them,
        # not the service that is then judged by them.
        Command.REGISTER_MONITOR: frozenset({Role.MODEL_OWNER}),
        Command.EVALUATE_MONITORING_WINDOW: frozenset({Role.MONITOR}),
        Command.RECORD_EXPLANATION: frozenset({Role.MONITOR}),
        Command.RAISE_FINDING: frozenset({Role.VALIDATOR, Role.MONITOR}),
        # The owner answers for the model and triages; the validator who found it may too.
        Command.ASSIGN_FINDING: frozenset({Role.MODEL_OWNER, Role.VALIDATOR}),
        Command.REMEDIATE_FINDING: frozenset({Role.MODEL_OWNER, Role.MODEL_DEVELOPER}),
        Command.ACCEPT_RISK: frozenset({Role.APPROVER}),
        # Closing confirms a remediation independently of whoever remediated.
        Command.CLOSE_FINDING: frozenset({Role.VALIDATOR}),
        Command.ASSESS_MODEL_VERSION: frozenset({Role.VALIDATOR}),
        Command.MITIGATE_MODEL_VERSION: frozenset({Role.MODEL_DEVELOPER}),
        # The scoring path seals its own segments; the monitor seals feedback and restarts.
        Command.SEAL_PREDICTION_SEGMENT: frozenset({Role.SCORING_CLIENT, Role.MONITOR}),
        Command.RECORD_MONITORING_WINDOW: frozenset({Role.MONITOR}),
        Command.RECORD_UAT_EVIDENCE: frozenset({Role.DEPLOYER}),
    }
)
"""The roles that may issue each command (docs/events.md, "Actors and roles")."""
