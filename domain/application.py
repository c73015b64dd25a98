"""The governance application: the service layer, one method per command (get, call, save).

Every command names its actor. The actor must be a registered principal holding one of the
roles ``domain.rules.roles.ALLOWED_ROLES`` lists for the command, and the command must satisfy the
rules of the domain: segregation of duties, the policy's promotion gates, the lifecycle of the
aggregate, and a valid personal signature where a person decides. Otherwise the refusal is
saved as a ``CommandRefused`` event and a ``RuleError`` is raised, with nothing else applied.

The commands are grouped by who issues them, one module per group; this class joins them.
Ports are keyword arguments: ``GovernanceApplication(env=..., signatures=..., clock=...,
drift_detector=..., fairness_assessor=..., artifacts=..., trainer=..., scorer=...,
explainer=..., assessor=..., mitigator=..., inspector=..., notifier=...)``.
"""

from __future__ import annotations

from domain.aggregates.earlier_topics import register_earlier_topics
from domain.commands.admin import AdminCommands
from domain.commands.datasets import DatasetCommands
from domain.commands.explanations import ExplanationCommands
from domain.commands.findings import FindingCommands
from domain.commands.mitigation import MitigationCommands
from domain.commands.monitors import MonitorCommands
from domain.commands.releases import ReleaseCommands
from domain.commands.service import SYSTEM_ACTOR
from domain.commands.uat import UatCommands
from domain.commands.validation import ValidationCommands

__all__ = ["SYSTEM_ACTOR", "GovernanceApplication"]

register_earlier_topics()  # events recorded before the aggregates moved still resolve


class GovernanceApplication(
    AdminCommands,
    DatasetCommands,
    ValidationCommands,
    MitigationCommands,
    ReleaseCommands,
    UatCommands,
    FindingCommands,
    MonitorCommands,
    ExplanationCommands,
):
    """Commands and queries over the governance ledger."""

    name = "govledger"
