"""The people of a governed model's life: one principal per role, and the personal keys of those
who sign decisions (the validator and the approvers).

Personal keys live in PEM files under a folder of the operator's choosing (the demo uses
``GOVLEDGER_HOME/people``, unencrypted, mode 0600): they stand for keys that, in a bank, each
person holds on their own machine. The ledger only ever sees the public keys, registered by an
admin, and the signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from adapters.personal_signing import PersonalKey, generate_personal_key, load_personal_key
from domain.application import GovernanceApplication
from domain.errors import NotFoundError
from domain.rules.roles import Role
from domain.rules.statements import Statement

__all__ = ["Cast", "Signers", "enrol_cast"]


@dataclass(frozen=True)
class Cast:
    """Who acts in each role; the two approvers are distinct people, as a high tier needs."""

    steward: str = "dana-steward"
    owner: str = "olivia-owner"
    developer: str = "deniz-developer"
    validator: str = "vera-validator"
    approvers: tuple[str, ...] = ("ann-approver", "abe-approver")
    deployer: str = "dee-deployer"
    monitor: str = "mona-monitor"
    scoring: str = "scoring-service"

    def roles(self) -> dict[str, tuple[Role, ...]]:
        """Each person's roles; the developer is also granted VALIDATOR so that only
        segregation of duties (not a missing role) can stop a self-approval."""
        return {
            self.steward: (Role.DATA_STEWARD,),
            self.owner: (Role.MODEL_OWNER,),
            self.developer: (Role.MODEL_DEVELOPER, Role.APPROVER),
            self.validator: (Role.VALIDATOR,),
            **dict.fromkeys(self.approvers, (Role.APPROVER,)),
            self.deployer: (Role.DEPLOYER,),
            self.monitor: (Role.MONITOR,),
            self.scoring: (Role.SCORING_CLIENT,),
        }

    @property
    def signers(self) -> tuple[str, ...]:
        """The people who sign decisions with a personal key."""
        return (self.developer, self.validator, *self.approvers)


@dataclass
class Signers:
    """Personal keys by person; signs statements as that person."""

    keys: dict[str, PersonalKey] = field(default_factory=dict)

    def sign(self, statement: Statement) -> tuple[bytes, str]:
        """The signer's signature over ``statement`` and their key id."""
        key = self.keys[statement.signer]
        return key.sign(statement), key.keyid


def now_text() -> str:
    """The current time as a statement's ``signed_at`` (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat()


def enrol_cast(
    application: GovernanceApplication, *, admin: str, cast: Cast, keys: Path
) -> Signers:
    """Register each person of ``cast`` with their roles (once) and the signers' public keys.

    Keys are created in ``keys`` on first use and loaded afterwards, so a second run on the same
    home signs with the same keys.
    """
    for name, roles in cast.roles().items():
        try:
            application.get_principal(name)
        except NotFoundError:
            application.register_principal(actor=admin, name=name, roles=list(roles))
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    signers = Signers()
    for name in cast.signers:
        path = keys / f"{name}.pem"
        created = not path.exists()
        key = generate_personal_key(path, None) if created else load_personal_key(path, None)
        if key.keyid not in application.get_principal(name).keys:
            application.register_key(actor=admin, name=name, public_key_pem=key.public_key_pem())
        signers.keys[name] = key
    return signers
