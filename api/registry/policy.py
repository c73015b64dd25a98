"""The admin's policy command: check a document against the policy schema and its invariants,
then put it in force. A document refused here records nothing; the domain checks the same
invariants again whoever the client."""

from __future__ import annotations

from pydantic import Field

from adapters.policy_validation import PolicyDocumentError, validate_policy_document
from api.errors import ApiError
from api.registry.fields import Digest
from api.registry.names import JsonObject
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request, Response
from domain.rules.roles import Command

__all__ = ["SPECS", "PolicyCreate", "PolicyPublic"]


class PolicyCreate(Request):
    """A policy document (``domain/rules/policy.schema.json``) to put in force."""

    document: JsonObject = Field(
        description="the policy document: version, approvals per risk tier, thresholds, gates"
    )


class PolicyPublic(Response):
    """The policy now in force."""

    version: str = Field(description="the document's own version label")
    digest: Digest = Field(description="the digest the ledger records the document by")

    def line(self) -> str:
        return f"policy {self.version} ({self.digest}) is in force"


def _set(context: CommandContext, actor: str, request: PolicyCreate) -> PolicyPublic:
    try:
        validate_policy_document(request.document)
    except PolicyDocumentError as exc:
        raise ApiError(str(exc)) from None
    policy = context.application.set_policy(actor=actor, document=request.document)
    return PolicyPublic(version=policy.version, digest=policy.digest)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="set-policy",
        command=Command.SET_POLICY,
        resource="policy",
        path="/policy",
        request=PolicyCreate,
        response=PolicyPublic,
        run=_set,
        summary="Validate a policy document and put it in force",
        file_argument="document",
    ),
)
