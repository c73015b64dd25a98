"""What a responsible person signs: a canonical statement of a decision.

EU AI Act Annex IV 2(g) asks for test reports "dated and signed by the responsible persons";
approvals, rejections, revocations of approvals, risk acceptances and validation conclusions
therefore carry the person's own Ed25519 signature over these bytes, checked against that
person's registered key.

The canonical form is RFC 8785 JSON; a statement holds only strings, so ``json.dumps`` with
sorted keys, no spaces and raw UTF-8 writes exactly that form.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.encoding.canonical import canonical_json

__all__ = ["STATEMENT_TYPE", "Statement"]

STATEMENT_TYPE = "https://govledger.dev/statement/v1"


@dataclass(frozen=True, slots=True)
class Statement:
    """A decision by one person about one artifact, on named evidence, at a time."""

    action: str
    """What is decided: ``approve``, ``reject``, ``revoke_approval``, ``accept_risk``,
    ``conclude_validation``."""
    subject: str
    """The id of what it is about (a model version, a finding)."""
    artifact_digest: str
    """``sha256:<hex>`` of the artifact the decision applies to."""
    evidence_digests: tuple[str, ...]
    """``sha256:<hex>`` of each piece of evidence relied on, in the order given."""
    signer: str
    """The principal who signs."""
    signed_at: str
    """RFC 3339 UTC time of the decision."""
    outcome: str = ""
    """The decision's outcome where it has one (``passed``/``failed``, ``granted``,
    ``revoked``...)."""

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 bytes that the person signs."""
        document = {
            "_type": STATEMENT_TYPE,
            "action": self.action,
            "artifact_digest": self.artifact_digest,
            "evidence_digests": list(self.evidence_digests),
            "outcome": self.outcome,
            "signed_at": self.signed_at,
            "signer": self.signer,
            "subject": self.subject,
        }
        return canonical_json(document)
