"""Administration: principals, their roles and personal keys, and the policy in force."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.aggregates.key_binding import KeyBinding
from domain.aggregates.policy_history import PolicyHistory
from domain.aggregates.principal import Principal
from domain.commands.arguments import check_name, check_text, check_texts
from domain.commands.service import SYSTEM_ACTOR, GovernanceService, named_id, required
from domain.errors import DuplicateError, InvalidArgumentError, InvalidStateError, NotFoundError
from domain.rules.policy import Policy
from domain.rules.roles import Command, Role
from domain.rules.vocabulary import parse

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
        check_name(name, "first admin (GOVLEDGER_ADMIN)")
        if self.recorder.max_notification_id() is not None:
            return False
        try:
            principal = Principal(name=name, roles=[Role.ADMIN], actor=SYSTEM_ACTOR)
            self._register(principal, f"principal {name!r}")
        except DuplicateError:
            return False  # a concurrent init registered the first admin a moment ago
        return True

    def register_principal(self, *, actor: str, name: str, roles: Sequence[str]) -> UUID:
        """Register a person or service with its roles; return its id."""
        with self._command(
            actor,
            Command.REGISTER_PRINCIPAL,
            subject=named_id(Principal.create_id, name),
            roles=roles,
        ):
            check_name(name, "principal name")
            granted = [parse(Role, role, "role").value for role in check_texts(roles, "role")]
            principal = Principal(name=name, roles=granted, actor=actor)
            return self._register(principal, f"principal {name!r}")

    def grant_role(self, *, actor: str, name: str, role: str) -> None:
        """Give principal ``name`` a role."""
        with self._command(
            actor, Command.GRANT_ROLE, subject=named_id(Principal.create_id, name), role=role
        ):
            granted = parse(Role, role, "role")
            principal = self.get_principal(name)
        principal.grant_role(role=granted.value, actor=actor)
        self.save(principal)

    def revoke_role(self, *, actor: str, name: str, role: str) -> None:
        """Take a role away from principal ``name``."""
        with self._command(
            actor, Command.REVOKE_ROLE, subject=named_id(Principal.create_id, name), role=role
        ):
            revoked = parse(Role, role, "role")
            principal = self.get_principal(name)
        principal.revoke_role(role=revoked.value, actor=actor)
        self.save(principal)

    def register_key(self, *, actor: str, name: str, public_key_pem: str) -> str:
        """Register a personal public key (PEM) of principal ``name``; return its key id.

        A key is one principal's for good (``KeyBinding``), and never one of the ledger's own.
        """
        with self._command(
            actor,
            Command.REGISTER_KEY,
            subject=named_id(Principal.create_id, name),
            public_key=public_key_pem,
        ):
            verifier = required(self.signatures, argument="signatures", needed_by="register_key")
            principal = self.get_principal(name)
            if not check_text(public_key_pem, "public key").strip():
                raise InvalidArgumentError(f"the public key of {name!r} is empty: give its PEM")
            try:
                keyid = verifier.keyid(public_key_pem)
            except ValueError as error:
                raise InvalidArgumentError(
                    f"the public key of {name!r} is refused: {error}"
                ) from None
            self._check_key_is_free(keyid, principal)
        principal.register_key(keyid=keyid, public_key_pem=public_key_pem, actor=actor)
        binding = KeyBinding(keyid=keyid, principal=name, actor=actor)
        try:
            self._register(
                binding, f"key {keyid}", "one public key belongs to one principal", principal
            )
        except DuplicateError as error:
            self._refuse(actor, Command.REGISTER_KEY, error, subject=principal.id)
        return keyid

    def revoke_key(self, *, actor: str, name: str, keyid: str) -> None:
        """Revoke key ``keyid`` of principal ``name``: its signatures are refused from now on."""
        with self._command(
            actor, Command.REVOKE_KEY, subject=named_id(Principal.create_id, name), keyid=keyid
        ):
            check_text(keyid, "key id")
            principal = self.get_principal(name)
            if keyid not in principal.keys:
                raise InvalidStateError(f"{name!r} has no key {keyid} to revoke")
            if keyid in principal.revoked_keys:
                raise InvalidStateError(f"key {keyid} of {name!r} is already revoked")
        principal.revoke_key(keyid=keyid, actor=actor)
        self.save(principal)

    def _check_key_is_free(self, keyid: str, principal: Principal) -> None:
        """Refuse a key of the ledger service, or one already registered to any principal."""
        if keyid in set(self.service_keyids()):
            raise InvalidArgumentError(
                f"key {keyid} is a key of the ledger service itself, never a person's: "
                f"{principal.name!r} must make a personal key (govledger personal-key)"
            )
        if keyid in principal.keys:
            state = "revoked" if keyid in principal.revoked_keys else "registered"
            raise InvalidStateError(f"key {keyid} of {principal.name!r} is already {state}")
        try:
            binding = self._get(KeyBinding, KeyBinding.create_id(keyid), "unbound")
        except NotFoundError:
            return
        raise DuplicateError(
            f"key {keyid} is already registered to {binding.principal!r}: one public key "
            "belongs to one principal; the person must make their own key"
        )

    def set_policy(self, *, actor: str, document: Mapping[str, Any]) -> Policy:
        """Put ``document`` in force and return it as a Policy.

        The domain checks the document's invariants itself (``Policy.from_document``), whoever
        the client, and records it by digest.
        """
        with self._command(actor, Command.SET_POLICY, subject=""):
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
