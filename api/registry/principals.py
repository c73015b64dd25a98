"""The admin's commands on principals: register one, grant and revoke roles, register and
revoke personal public keys (the server never holds a person's private key)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.registry.fields import Created, Done, KeyId
from api.registry.names import Name
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request, Response
from domain.rules.roles import Command, Role

__all__ = [
    "SPECS",
    "KeyCreate",
    "KeyCreated",
    "KeyRevocation",
    "PrincipalCreate",
    "RoleChange",
]


class PrincipalCreate(Request):
    """Register a person or service with its roles."""

    name: Name = Field(description="the principal's unique name", examples=["ann"])
    roles: list[Role] = Field(
        min_length=1,
        max_length=len(Role),
        description="the roles it holds",
        examples=[["model_owner"]],
    )


class RoleChange(Request):
    """Grant a principal a role, or revoke one it holds."""

    name: Name = Field(description="the principal")
    role: Role = Field(description="the role granted or revoked")


class KeyCreate(Request):
    """Register a principal's personal Ed25519 public key (PEM), made with
    `govledger personal-key`."""

    name: Name = Field(description="the principal the key belongs to")
    public_key_pem: str = Field(
        min_length=1,
        max_length=10_000,
        description="the public key, PEM (-----BEGIN PUBLIC KEY----- ...)",
    )


class KeyCreated(Response):
    """The id of the registered key, which its owner's signatures cite."""

    keyid: str = Field(description="sha256:<hex of the public key>")


class KeyRevocation(Request):
    """Revoke a principal's key: its signatures are refused from now on."""

    name: Name = Field(description="the principal the key belongs to")
    keyid: KeyId


def _register(context: CommandContext, actor: str, request: PrincipalCreate) -> Created:
    roles = [role.value for role in request.roles]
    principal_id: UUID = context.application.register_principal(
        actor=actor, name=request.name, roles=roles
    )
    return Created(id=principal_id)


def _grant(context: CommandContext, actor: str, request: RoleChange) -> Done:
    context.application.grant_role(actor=actor, name=request.name, role=request.role.value)
    return Done()


def _revoke(context: CommandContext, actor: str, request: RoleChange) -> Done:
    context.application.revoke_role(actor=actor, name=request.name, role=request.role.value)
    return Done()


def _register_key(context: CommandContext, actor: str, request: KeyCreate) -> KeyCreated:
    keyid = context.application.register_key(
        actor=actor, name=request.name, public_key_pem=request.public_key_pem
    )
    return KeyCreated(keyid=keyid)


def _revoke_key(context: CommandContext, actor: str, request: KeyRevocation) -> Done:
    context.application.revoke_key(actor=actor, name=request.name, keyid=request.keyid)
    return Done()


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="register-principal",
        command=Command.REGISTER_PRINCIPAL,
        resource="principals",
        path="/principals",
        request=PrincipalCreate,
        response=Created,
        run=_register,
        summary="Register a person or service with its roles",
        status_code=201,
    ),
    CommandSpec(
        name="grant-role",
        command=Command.GRANT_ROLE,
        resource="principals",
        path="/principals/roles/grant",
        request=RoleChange,
        response=Done,
        run=_grant,
        summary="Grant a principal a role",
    ),
    CommandSpec(
        name="revoke-role",
        command=Command.REVOKE_ROLE,
        resource="principals",
        path="/principals/roles/revoke",
        request=RoleChange,
        response=Done,
        run=_revoke,
        summary="Revoke a role a principal holds",
    ),
    CommandSpec(
        name="register-key",
        command=Command.REGISTER_KEY,
        resource="principals",
        path="/principals/keys",
        request=KeyCreate,
        response=KeyCreated,
        run=_register_key,
        summary="Register a principal's personal public key",
        status_code=201,
    ),
    CommandSpec(
        name="revoke-key",
        command=Command.REVOKE_KEY,
        resource="principals",
        path="/principals/keys/revoke",
        request=KeyRevocation,
        response=Done,
        run=_revoke_key,
        summary="Revoke a principal's personal key",
    ),
)
