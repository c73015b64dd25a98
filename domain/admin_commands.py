"""Administration: principals, their roles and personal keys, and the policy in force."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain.errors import DuplicateError, InvalidStateError, NotFoundError, SignatureError
from domain.policy import Policy
from domain.policy_history import PolicyHistory
from domain.principal import Principal
from domain.roles import Command, Role
from domain.service import SYSTEM_ACTOR, GovernanceService

__all__ = ["AdminCommands"]


class AdminCommands(GovernanceService):
    """Commands of the admin role."""

    def bootstrap_admin(self, name: str) -> bool:
        """Register ``name`` as the first admin, only on an empty ledger; True if registered.

        This is the one registration nobody authorises, so it happens only while the ledger
        holds no event at all. On any other ledger it registers nobody and returns False:
        later principals are registered by an admin (``register_principal``), which is
        authorised and recorded like every command.
        """
        if self.recorder.max_notification_id() is not None:
            return False
        try:
            principal = Principal(name=name, roles=[Role.ADMIN], actor=SYSTEM_ACTOR)
            self._register(principal, f"principal {name!r}")
        except DuplicateError:
            return False  # a concurrent init registered the first admin a moment ago
        return True

    def register_principal(self, *, actor: str, name: str, roles: list[Role]) -> UUID:
        """Register a person or service with its roles; return its id."""
        with self._command(actor, Command.REGISTER_PRINCIPAL):
            principal = Principal(name=name, roles=list(roles), actor=actor)
            return self._register(principal, f"principal {name!r}")

    def grant_role(self, *, actor: str, name: str, role: Role) -> None:
        """Give principal ``name`` a role."""
        with self._command(actor, Command.GRANT_ROLE):
            principal = self.get_principal(name)
        principal.grant_role(role=role, actor=actor)
        self.save(principal)

    def revoke_role(self, *, actor: str, name: str, role: Role) -> None:
        """Take a role away from principal ``name``."""
        with self._command(actor, Command.REVOKE_ROLE):
            principal = self.get_principal(name)
        principal.revoke_role(role=role, actor=actor)
        self.save(principal)

    def register_key(self, *, actor: str, name: str, public_key_pem: str) -> str:
        """Register a personal public key (PEM) of principal ``name``; return its key id."""
        with self._command(actor, Command.REGISTER_KEY):
            if self.signatures is None:
                raise SignatureError(
                    "registering a key needs a signature verifier to derive its key id and none "
                    "is configured: construct the application with signatures=..."
                )
            principal = self.get_principal(name)
            keyid = self.signatures.keyid(public_key_pem)
            if keyid in principal.keys:
                state = "revoked" if keyid in principal.revoked_keys else "registered"
                raise InvalidStateError(f"key {keyid} of {name!r} is already {state}")
        principal.register_key(keyid=keyid, public_key_pem=public_key_pem, actor=actor)
        self.save(principal)
        return keyid

    def revoke_key(self, *, actor: str, name: str, keyid: str) -> None:
        """Revoke key ``keyid`` of principal ``name``: its signatures are refused from now on."""
        with self._command(actor, Command.REVOKE_KEY):
            principal = self.get_principal(name)
            if keyid not in principal.keys:
                raise InvalidStateError(f"{name!r} has no key {keyid} to revoke")
            if keyid in principal.revoked_keys:
                raise InvalidStateError(f"key {keyid} of {name!r} is already revoked")
        principal.revoke_key(keyid=keyid, actor=actor)
        self.save(principal)

    def set_policy(self, *, actor: str, document: Mapping[str, Any]) -> Policy:
        """Put ``document`` in force and return it as a Policy.

        The caller has already validated ``document`` against ``policy.schema.json`` (the API
        layer does, through its adapter); the domain trusts it and records it by digest.
        """
        self._authorize(actor, Command.SET_POLICY)
        policy = Policy.from_document(document)
        try:
            history = self._get(PolicyHistory, PolicyHistory.create_id(), "no policy set")
        except NotFoundError:
            history = PolicyHistory(actor=actor)
        history.set_policy(
            policy_version=policy.version,
            digest=policy.digest,
            document=dict(document),
            actor=actor,
        )
        self.save(history)
        return policy
