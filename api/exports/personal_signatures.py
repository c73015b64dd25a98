"""The responsible persons' own signatures in a bundle, checked again from its events alone.

Validation conclusions, approvals, rejections, revocations and risk acceptances carry the
person's Ed25519 signature over a canonical ``Statement`` (EU AI Act Annex IV 2(g): test reports
"dated and signed by the responsible persons"). The ledger checked each one when it recorded it;
here each statement is rebuilt from the signed events and checked against the key the person's
own history registered, not revoked before the decision. Needs no database: the bundle carries
the principals' histories and each version's training event.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from adapters.ed25519_signatures import Ed25519SignatureVerifier
from api.exports.context import BundleContext, BundleEvent
from domain.rules.statements import Statement

__all__ = ["SignedDecision", "signed_decisions"]

# event name -> (the statement's action, its outcome; None: the event's own outcome member)
_DECISIONS: dict[str, tuple[str, str | None]] = {
    "ModelVersion.ValidationConcluded": ("conclude_validation", None),
    "ModelVersion.ApprovalGranted": ("approve", "granted"),
    "ModelVersion.ApprovalRejected": ("reject", "rejected"),
    "ModelVersion.ApprovalRevoked": ("revoke_approval", "revoked"),
    "Finding.RiskAccepted": ("accept_risk", "accepted"),
}
VERIFIED = "verified offline against the signer's registered key"


@dataclass(frozen=True, slots=True)
class SignedDecision:
    """One person's signed decision and what checking its signature again found."""

    leaf_index: int
    action: str
    subject: str
    signer: str
    keyid: str
    signed_at: str
    outcome: str
    status: str

    @property
    def verified(self) -> bool:
        """True when the signature verified over the rebuilt statement."""
        return self.status == VERIFIED


@dataclass
class _Keys:
    name: str = ""
    registered: dict[str, str] | None = None  # keyid -> public key PEM
    revoked: dict[str, int] | None = None  # keyid -> leaf of the revocation


def signed_decisions(context: BundleContext) -> list[SignedDecision]:
    """Every signed decision the bundle carries, in leaf order, with its signature's status."""
    people: dict[str, _Keys] = {}
    artifacts: dict[str, str] = {}  # version aggregate id -> artifact digest
    finding_versions: dict[str, str] = {}  # finding aggregate id -> version aggregate id
    decisions = []
    for event in context.events:
        _learn(event, people, artifacts, finding_versions)
        if event.name in _DECISIONS:
            decisions.append(_check(event, people, artifacts, finding_versions))
    return decisions


def _learn(
    event: BundleEvent,
    people: dict[str, _Keys],
    artifacts: dict[str, str],
    finding_versions: dict[str, str],
) -> None:
    state, aggregate = event.state, event.payload.aggregate_id
    if event.name == "Principal.Registered":
        people[aggregate] = _Keys(str(state.get("name", "")), {}, {})
    elif event.name == "Principal.KeyRegistered" and aggregate in people:
        keys = people[aggregate]
        assert keys.registered is not None
        keys.registered[str(state.get("keyid"))] = str(state.get("public_key_pem", ""))
    elif event.name == "Principal.KeyRevoked" and aggregate in people:
        revoked = people[aggregate].revoked
        assert revoked is not None
        revoked[str(state.get("keyid"))] = event.leaf_index
    elif event.name == "ModelVersion.Trained":
        artifacts[aggregate] = str(state.get("artifact_digest", ""))
    elif event.name == "Finding.Raised":
        finding_versions[aggregate] = str(state.get("model_version_id", ""))


def _check(
    event: BundleEvent,
    people: dict[str, _Keys],
    artifacts: dict[str, str],
    finding_versions: dict[str, str],
) -> SignedDecision:
    state, aggregate = event.state, event.payload.aggregate_id
    action, outcome = _DECISIONS[event.name]
    if event.name == "Finding.RiskAccepted":
        artifact = artifacts.get(finding_versions.get(aggregate, ""), "")
    elif event.name == "ModelVersion.ValidationConcluded":
        artifact = artifacts.get(aggregate, "")
    else:
        artifact = str(state.get("artifact_digest", ""))
    statement = Statement(
        action=action,
        subject=aggregate,
        artifact_digest=artifact,
        evidence_digests=tuple(str(d) for d in _list(state.get("evidence_digests"))),
        signer=str(state.get("actor", "")),
        signed_at=str(state.get("signed_at", "")),
        outcome=outcome if outcome is not None else str(state.get("outcome", "")),
    )
    keyid = str(state.get("keyid", ""))
    return SignedDecision(
        leaf_index=event.leaf_index,
        action=action,
        subject=aggregate,
        signer=statement.signer,
        keyid=keyid,
        signed_at=statement.signed_at,
        outcome=statement.outcome,
        status=_status(statement, keyid, state.get("signature"), people, event.leaf_index),
    )


def _status(
    statement: Statement,
    keyid: str,
    signature: Any,
    people: dict[str, _Keys],
    leaf: int,
) -> str:
    if not statement.artifact_digest:
        return "NOT verified: the bundle does not carry the artifact the statement is about"
    pem, problem = _signer_key(statement.signer, keyid, people, leaf)
    if problem:
        return f"NOT verified: {problem}"
    try:
        raw = base64.b64decode(str(signature), validate=True)
    except (binascii.Error, ValueError):
        return "NOT verified: the recorded signature is not base64"
    if not Ed25519SignatureVerifier().verify(pem, raw, statement.canonical_bytes()):
        return "NOT verified: the signature does not verify over the rebuilt statement"
    return VERIFIED


def _signer_key(name: str, keyid: str, people: dict[str, _Keys], leaf: int) -> tuple[str, str]:
    """The PEM of ``name``'s key ``keyid`` live at ``leaf``, or why there is none."""
    signer = next((keys for keys in people.values() if keys.name == name), None)
    if signer is None or signer.registered is None or signer.revoked is None:
        return "", f"the bundle does not carry {name!r}'s history"
    pem = signer.registered.get(keyid)
    if pem is None:
        return "", f"{name!r} registered no key {keyid} before leaf {leaf}"
    if keyid in signer.revoked and signer.revoked[keyid] < leaf:
        return "", f"key {keyid} was revoked at leaf {signer.revoked[keyid]}"
    return pem, ""


def _list(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else ()
