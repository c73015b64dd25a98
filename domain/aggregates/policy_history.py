"""The policy history: the singleton aggregate recording each policy document set by an admin."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

__all__ = ["PolicyHistory"]


class PolicyHistory(Aggregate):
    """Every policy document in force over time; the last one set governs."""

    @staticmethod
    def create_id() -> UUID:
        """One history per ledger."""
        return uuid5(NAMESPACE_URL, "govledger:policy")

    @event("Started")
    def __init__(self, *, actor: str) -> None:
        self.document: dict[str, Any] = {}
        self.policy_version = ""
        self.digest = ""

    @event("PolicySet")
    def set_policy(
        self, *, policy_version: str, digest: str, document: dict[str, Any], actor: str
    ) -> None:
        """Put a policy document, by version and SHA-256 digest, in force."""
        self.document = dict(document)
        self.policy_version = policy_version
        self.digest = digest
