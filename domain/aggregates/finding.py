"""The finding aggregate: an issue raised against a model version, until it is closed.

A finding is open until it is closed or an approver accepts its risk with a signature.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.aggregates.model_version import Signed
from domain.errors import InvalidStateError

__all__ = ["Finding"]


class Finding(Aggregate):
    """An issue with one model version: its severity, owner and resolution."""

    @event("Raised")
    def __init__(
        self,
        *,
        model_version_id: UUID,
        severity: str,
        title: str,
        due: str,
        source: str,
        actor: str,
    ) -> None:
        self.model_version_id = model_version_id
        self.severity = severity
        self.title = title
        self.due = due
        self.source = source
        self.raised_by = actor
        self.assignee = ""
        self.remediation = ""
        self.risk_accepted_by = ""
        self.risk_acceptance: Signed | None = None
        self.closed = False

    @event("Assigned")
    def assign(self, *, assignee: str, actor: str) -> None:
        """Make ``assignee`` responsible for resolving the finding."""
        self.assignee = assignee

    @event("Remediated")
    def remediate(self, *, description: str, evidence_digests: list[str], actor: str) -> None:
        """Record what was done about the finding, on named evidence."""
        self.remediation = description

    @event("RiskAccepted")
    def accept_risk(
        self,
        *,
        rationale: str,
        evidence_digests: list[str],
        signature: str,
        keyid: str,
        signed_at: str,
        actor: str,
    ) -> None:
        """An approver's signed acceptance of the risk: the finding no longer blocks."""
        self.risk_accepted_by = actor
        self.risk_acceptance = Signed(signature, keyid, signed_at)

    @event("Closed")
    def close(self, *, actor: str) -> None:
        """The finding is resolved."""
        self.closed = True

    @property
    def is_open(self) -> bool:
        """True unless the finding is closed or its risk accepted."""
        return not self.closed and not self.risk_accepted_by

    @property
    def status(self) -> str:
        """``open``, ``assigned``, ``remediated``, ``risk_accepted`` or ``closed``."""
        if self.closed:
            return "closed"
        if self.risk_accepted_by:
            return "risk_accepted"
        if self.remediation:
            return "remediated"
        return "assigned" if self.assignee else "open"

    def check_not_closed(self) -> None:
        """A closed finding takes no further commands."""
        if self.closed:
            raise InvalidStateError(f"finding {self.title!r} is closed: raise a new finding")

    def check_may_accept_risk(self) -> None:
        """Risk is accepted once, on a finding that is still open."""
        self.check_not_closed()
        if self.risk_accepted_by:
            raise InvalidStateError(
                f"the risk of finding {self.title!r} was already accepted by "
                f"{self.risk_accepted_by!r}"
            )

    def check_may_close(self) -> None:
        """A finding closes once remediated or risk-accepted."""
        self.check_not_closed()
        if not self.remediation and not self.risk_accepted_by:
            raise InvalidStateError(
                f"finding {self.title!r} is {self.status}: remediate it or have an approver "
                "accept the risk before closing it"
            )
