"""The governance application: the service layer, one method per command (get, call, save).

Every command names its actor. The actor must be a registered principal holding one of the
roles ``domain.roles.ALLOWED_ROLES`` lists for the command, and the command must satisfy the
rules of the domain: segregation of duties, the policy's promotion gates, the lifecycle of the
aggregate, and a valid personal signature where a person decides. Otherwise the refusal is
saved as a ``CommandRefused`` event and a ``RuleError`` is raised, with nothing else applied.

The commands are grouped by who issues them, one module per group; this class joins them.
Ports are keyword arguments: ``GovernanceApplication(env=..., signatures=..., clock=...,
drift_detector=..., fairness_assessor=..., artifacts=..., trainer=..., scorer=...,
explainer=...)``.
"""

from __future__ import annotations

from domain.admin_commands import AdminCommands
from domain.dataset_commands import DatasetCommands
from domain.explanation_commands import ExplanationCommands
from domain.finding_commands import FindingCommands
from domain.monitor_commands import MonitorCommands
from domain.release_commands import ReleaseCommands
from domain.service import SYSTEM_ACTOR
from domain.training_commands import TrainingCommands

__all__ = ["SYSTEM_ACTOR", "GovernanceApplication"]


class GovernanceApplication(
    AdminCommands,
    DatasetCommands,
    TrainingCommands,
    ReleaseCommands,
    FindingCommands,
    MonitorCommands,
    ExplanationCommands,
):
    """Commands and queries over the governance ledger."""

    name = "govledger"
