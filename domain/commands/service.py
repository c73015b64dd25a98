"""The base of the governance application: its ports and the one pipeline every command takes.

A command runs inside ``_command(actor, command, subject=..., **arguments)``, in this order:

1. authorise: the actor must hold a role allowed the command;
2. validate: every free-form argument passed to ``_command`` must be a value the ledger records
   exactly (``domain.commands.arguments.check_json``), then the command checks the rest in its
   block (ids, digests, counts, vocabularies, numbers, rules) before any side effect;
3. apply and save, after the block, which cannot fail on the actor's input any more.

Any ``DomainError`` raised in steps 1 and 2 is recorded as a ``CommandRefused`` event before it
propagates, naming the command's ``subject`` (the id of the aggregate it is about, ``""`` when
none; ``named_id`` derives one from a name); only a ``PortError`` (an adapter answering outside
its contract) and a ``NotConfiguredError`` (a port the command needs was not given to the
constructor) are not, as the actor did nothing wrong. Every port is a keyword argument with a
None default.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import NoReturn, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.aggregates.finding import Finding
from domain.aggregates.model_version import ModelVersion
from domain.aggregates.policy_history import PolicyHistory
from domain.aggregates.principal import Principal
from domain.aggregates.refusal import CommandRefusal
from domain.commands.arguments import check_json, check_text
from domain.errors import (
    ArtifactError,
    DomainError,
    DuplicateError,
    InvalidArgumentError,
    InvalidStateError,
    NotAuthorizedError,
    NotConfiguredError,
    NotFoundError,
    PortError,
)
from domain.ports.protocols import (
    ArtifactInspector,
    ArtifactStore,
    Clock,
    DriftDetector,
    Explainer,
    FairnessAssessor,
    Mitigator,
    ModelAssessor,
    Notifier,
    Scorer,
    SignatureVerifier,
    Trainer,
)
from domain.rules.policy import Policy, default_policy_document
from domain.rules.roles import ALLOWED_ROLES, Command
from domain.rules.signatures import check_signature, check_signed_at
from domain.rules.statements import Statement
from ledger.encoding.digests import sha256_digest

__all__ = ["SYSTEM_ACTOR", "GovernanceService", "UTCClock", "named_id", "required"]

SYSTEM_ACTOR = "system"
"""The actor of the bootstrap, before any principal exists."""

AggregateT = TypeVar("AggregateT", bound=Aggregate)
PortT = TypeVar("PortT")


def required(port: PortT | None, *, argument: str, needed_by: str) -> PortT:
    """``port`` if configured, else NotConfiguredError naming the constructor ``argument``."""
    if port is None:
        raise NotConfiguredError(
            f"{needed_by} needs the {argument} port and none is configured: "
            f"construct the application with {argument}=..."
        )
    return port


def named_id(create_id: Callable[[str], UUID], name: object) -> UUID | str:
    """The id ``create_id`` derives from ``name``, a refused command's subject; ``""`` when
    ``name`` is not text that can name anything (not a string, a lone surrogate)."""
    if not isinstance(name, str):
        return ""
    try:
        return create_id(name)
    except UnicodeEncodeError:
        return ""


class UTCClock:
    """The system clock, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


class GovernanceService(Application[UUID]):
    """The ports of the governance application and the helpers its commands share."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        signatures: SignatureVerifier | None = None,
        clock: Clock | None = None,
        drift_detector: DriftDetector | None = None,
        fairness_assessor: FairnessAssessor | None = None,
        artifacts: ArtifactStore | None = None,
        trainer: Trainer | None = None,
        scorer: Scorer | None = None,
        explainer: Explainer | None = None,
        assessor: ModelAssessor | None = None,
        mitigator: Mitigator | None = None,
        inspector: ArtifactInspector | None = None,
        notifier: Notifier | None = None,
        service_keyids: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        """``service_keyids`` gives the key ids of the ledger's own keys (event-signing, log),
        which are never registered as a person's key; the composition root reads them from the
        key store when a key is registered."""
        super().__init__(env)
        self.signatures = signatures
        self.clock: Clock = clock or UTCClock()
        self.drift_detector = drift_detector
        self.fairness_assessor = fairness_assessor
        self.artifacts = artifacts
        self.trainer = trainer
        self.scorer = scorer
        self.explainer = explainer
        self.assessor = assessor
        self.mitigator = mitigator
        self.inspector = inspector
        self.notifier = notifier
        self.service_keyids = service_keyids or (lambda: ())

    def get_principal(self, name: str) -> Principal:
        """Return the principal registered under ``name``."""
        check_text(name, "principal name")
        return self._get(Principal, Principal.create_id(name), f"no principal named {name!r}")

    def record_refusal(self, *, actor: str, request: str, reason: str, subject: str = "") -> None:
        """Record that ``actor`` was refused ``request`` before any command ran (a read its
        roles do not allow, say), as a ``CommandRefused`` event like every other refusal."""
        self.save(
            CommandRefusal(
                actor=_recordable(actor),
                command=_recordable(request),
                reason=_recordable(reason),
                subject=_recordable(subject),
            )
        )

    def findings_of(self, version: ModelVersion) -> list[Finding]:
        """Every finding raised against ``version``, in the order raised."""
        return [
            self._get(Finding, finding_id, f"no finding with id {finding_id}")
            for finding_id in version.finding_ids
        ]

    def current_policy(self) -> Policy:
        """The policy in force: the last one set, else the defaults of docs/events.md."""
        try:
            history = self._get(PolicyHistory, PolicyHistory.create_id(), "no policy set")
        except NotFoundError:
            return Policy.from_document(default_policy_document())
        try:
            policy = Policy.from_document(history.document)
        except InvalidArgumentError as error:
            # Recorded before the domain enforced its invariants: fail closed, not open.
            raise InvalidStateError(
                f"the policy in force breaks the policy invariants ({error}): an admin must set "
                "a valid policy"
            ) from None
        # The digest recorded is of the document as it was set, not recomputed from storage.
        return replace(policy, digest=history.digest)

    @contextmanager
    def _command(
        self, actor: str, command: Command, *, subject: object, **arguments: object
    ) -> Iterator[None]:
        """Authorise ``actor``, check ``arguments`` are recordable, and record every refusal.

        ``subject`` is the id of the aggregate the command is about (a version, model, finding,
        dataset or principal id; ``""`` when none), as the caller gave it: every refusal records
        it. Unknown ids, duplicates, malformed values and broken rules raised in the block are
        refusals and are recorded; a ``PortError`` or a ``NotConfiguredError`` is not.
        """
        self._authorize(actor, command, subject=subject)
        try:
            for name, value in arguments.items():
                check_json(value, name.replace("_", " "))
            yield
        except (PortError, NotConfiguredError):
            raise
        except DomainError as error:
            self._refuse(actor, command, error, subject=subject)

    def _authorize(self, actor: str, command: Command, *, subject: object) -> None:
        """Refuse, and record the refusal, unless ``actor`` holds a role allowed ``command``."""
        allowed = ALLOWED_ROLES[command]
        try:
            principal = self.get_principal(actor)
        except (NotFoundError, InvalidArgumentError):
            reason = f"{actor!r} is not a registered principal: an admin must register it"
        else:
            if principal.holds_any(allowed):
                return
            needed = " or ".join(sorted(allowed))
            reason = f"{actor!r} may not {command}: it needs the role {needed}, granted by an admin"
        self._refuse(actor, command, NotAuthorizedError(reason), subject=subject)

    def _refuse(
        self, actor: str, command: Command, error: DomainError, *, subject: object
    ) -> NoReturn:
        """Record that ``actor`` was refused ``command`` on ``subject`` for ``error``; raise it.

        Whatever the actor sent, the refusal itself is recordable: text that is not Unicode
        (a lone surrogate) is recorded with a backslash escape in its place, a subject that is
        not an id as its text, and no subject (None) as ``""``.
        """
        self.save(
            CommandRefusal(
                actor=_recordable(actor),
                command=command,
                reason=_recordable(str(error)),
                subject="" if subject is None else _recordable(subject),
            )
        )
        raise error

    def _verify_signed(
        self,
        actor: str,
        statement: Statement,
        *,
        signature: bytes,
        keyid: str,
        not_before: Sequence[tuple[datetime, str]],
    ) -> str:
        """Check ``actor``'s signature over ``statement``, signed no earlier than each moment of
        ``not_before`` (what the decision is about); return it as base64 for the event."""
        verifier = required(
            self.signatures, argument="signatures", needed_by=statement.action.replace("_", " ")
        )
        if not isinstance(signature, bytes):
            raise InvalidArgumentError(f"the signature of {actor!r} is not bytes")
        check_text(keyid, "key id")
        check_signed_at(statement.signed_at, self.clock.now(), not_before)
        check_signature(
            verifier,
            self.get_principal(actor),
            statement,
            signature=signature,
            keyid=keyid,
        )
        return base64.b64encode(signature).decode("ascii")

    def _fetch_artifact(self, store: ArtifactStore, digest: str, what: str) -> bytes:
        """The content ``store`` holds under ``digest``; ArtifactError if absent or not its."""
        try:
            content = store.get(digest)
        except KeyError:
            raise ArtifactError(
                f"{what} ({digest}) is not in the artifact store: put its content there first"
            ) from None
        if sha256_digest(content) != digest:
            raise ArtifactError(
                f"{what} in the artifact store does not match its digest {digest}: "
                "the stored content was altered; restore the original"
            )
        return content

    def _store_artifact(self, store: ArtifactStore, content: bytes, what: str) -> str:
        """Put ``content`` in ``store``; its digest, or ArtifactError if the store says another."""
        digest = store.put(content)
        if digest != sha256_digest(content):
            raise ArtifactError(
                f"the artifact store filed {what} under {digest!r}, not its SHA-256 digest "
                f"{sha256_digest(content)}: the store is not content-addressed"
            )
        return digest

    def _register(
        self,
        aggregate: Aggregate,
        what: str,
        hint: str = "",
        *extra: Aggregate,
    ) -> UUID:
        """Save a new aggregate with a name-derived id; DuplicateError when the name is taken."""
        try:
            self.save(aggregate, *extra)
        except IntegrityError:
            raise DuplicateError(
                f"{what} is already registered" + (f": {hint}" if hint else "")
            ) from None
        return aggregate.id

    def _get(self, kind: type[AggregateT], aggregate_id: object, missing: str) -> AggregateT:
        if not isinstance(aggregate_id, UUID):
            raise InvalidArgumentError(f"{aggregate_id!r} is not an id (a UUID): {missing}")
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(missing) from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(missing)
        return aggregate


def _recordable(text: object) -> str:
    """``text`` as a string with each lone surrogate written as a backslash escape, so it can be
    stored whatever the caller sent."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")
