"""The topics events were recorded under before the aggregates moved to ``domain.aggregates``.

A stored event's topic names its class's module (``domain.dataset:Dataset.VersionAdded``) and
is signed into its envelope, so it is never rewritten; registering each old module path lets
those topics resolve to the classes' new homes (eventsourcing's ``register_topic``).
"""

from __future__ import annotations

from types import ModuleType

from eventsourcing.utils import register_topic

from domain.aggregates import (
    dataset,
    explanation,
    finding,
    model,
    model_version,
    monitor,
    policy_history,
    principal,
    refusal,
)

__all__ = ["EARLIER_MODULES", "register_earlier_topics"]

EARLIER_MODULES: dict[str, ModuleType] = {
    "domain.dataset": dataset,
    "domain.explanation": explanation,
    "domain.finding": finding,
    "domain.model": model,
    "domain.model_version": model_version,
    "domain.monitor": monitor,
    "domain.policy_history": policy_history,
    "domain.principal": principal,
    "domain.refusal": refusal,
}
"""Each module path of the flat layout, with the module that now holds its aggregate."""


def register_earlier_topics() -> None:
    """Make topics of the flat layout resolve; calling it again changes nothing."""
    for earlier, module in EARLIER_MODULES.items():
        register_topic(earlier, module)
