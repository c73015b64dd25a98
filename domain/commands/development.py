"""Development: model inventory records, trained versions and their independent validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.aggregates.model import Model
from domain.aggregates.model_version import ModelVersion
from domain.commands.arguments import (
    check_list,
    check_name,
    check_numbers,
    check_seed,
    check_text,
    check_texts,
    json_object,
    json_value,
)
from domain.commands.service import GovernanceService, named_id
from domain.errors import DuplicateError, InvalidArgumentError
from domain.rules.roles import Command
from domain.rules.statements import Statement
from domain.rules.vocabulary import Outcome, RiskTier, check_digest, check_digests, parse

__all__ = ["DevelopmentCommands"]


class DevelopmentCommands(GovernanceService):
    """Commands of the model owner, the model developer and the validator."""

    def register_model(
        self,
        *,
        actor: str,
        name: str,
        purpose: str,
        intended_use: str,
        restrictions: Sequence[str],
        risk_tier: str,
        owner: str = "",
    ) -> UUID:
        """Register a model in the inventory under a unique name; return its id.

        Its owner, the actor unless named, must be a registered principal.
        """
        with self._command(
            actor,
            Command.REGISTER_MODEL,
            subject=named_id(Model.create_id, name),
            purpose=purpose,
            intended_use=intended_use,
            restrictions=restrictions,
        ):
            check_name(name, "model name")
            check_text(purpose, "purpose")
            check_text(intended_use, "intended use")
            check_texts(restrictions, "restriction")
            tier = parse(RiskTier, risk_tier, "risk tier")
            responsible = self.get_principal(owner or actor).name
        model = Model(
            name=name,
            purpose=purpose,
            intended_use=intended_use,
            restrictions=list(restrictions),
            owner=responsible,
            risk_tier=tier.value,
            actor=actor,
        )
        try:
            return self._register(model, f"model {name!r}", "train a new version of it instead")
        except DuplicateError as error:
            self._refuse(actor, Command.REGISTER_MODEL, error, subject=model.id)

    def get_model(self, model_id: UUID) -> Model:
        """Return the model with this id."""
        return self._get(Model, model_id, f"no model with id {model_id}: register it first")

    def train_model_version(
        self,
        *,
        actor: str,
        model_id: UUID,
        dataset_versions: Sequence[str | Mapping[str, Any]],
        training_spec: Mapping[str, object],
        code_version: str,
        environment: Mapping[str, str],
        artifact_digest: str,
        metrics: Mapping[str, float],
        derived_from: UUID | None = None,
        reference_digest: str = "",
    ) -> UUID:
        """Record a trained version of a model, with its lineage and the digest of its
        reference statistics (``""`` if none); return its id."""
        with self._command(
            actor,
            Command.TRAIN_MODEL_VERSION,
            subject=model_id,
            dataset_versions=dataset_versions,
            training_spec=training_spec,
            code_version=code_version,
            environment=environment,
        ):
            lineage = _lineage(dataset_versions)
            check_training(training_spec, code_version, environment)
            check_digest(artifact_digest, "artifact digest")
            if reference_digest:
                check_digest(reference_digest, "reference digest")
            measured = check_numbers(metrics, "metric")
            model = self._model_to_train(model_id, derived_from)
        version = self._new_version(
            model,
            actor=actor,
            dataset_versions=lineage,
            training_spec=training_spec,
            code_version=code_version,
            environment=environment,
            artifact_digest=artifact_digest,
            reference_digest=reference_digest,
            metrics=measured,
            derived_from=derived_from,
        )
        self.save(model, version)
        return version.id

    def _new_version(
        self,
        model: Model,
        *,
        actor: str,
        dataset_versions: list[Any],
        training_spec: Mapping[str, object],
        code_version: str,
        environment: Mapping[str, str],
        artifact_digest: str,
        reference_digest: str,
        metrics: dict[str, float],
        derived_from: UUID | None,
    ) -> ModelVersion:
        """The next version of ``model``, listed in it; the caller saves both."""
        version = ModelVersion(
            model_id=model.id,
            number=model.next_version_number,
            dataset_versions=dataset_versions,
            training_spec=json_object(training_spec, "training spec"),
            code_version=code_version,
            environment=dict(environment),
            artifact_digest=artifact_digest,
            reference_digest=reference_digest,
            metrics=metrics,
            derived_from="" if derived_from is None else str(derived_from),
            actor=actor,
        )
        model.add_version(version_id=version.id, actor=actor)
        return version

    def _model_to_train(self, model_id: UUID, derived_from: UUID | None) -> Model:
        """The model a new version joins; NotFoundError if it or the predecessor is unknown."""
        model = self.get_model(model_id)
        if derived_from is not None:
            self.get_model_version(derived_from)
        return model

    def get_model_version(self, version_id: UUID) -> ModelVersion:
        """Return the model version with this id."""
        return self._get(
            ModelVersion, version_id, f"no model version with id {version_id}: train it first"
        )

    def start_validation(self, *, actor: str, version_id: UUID) -> None:
        """An independent validator starts validating a version."""
        with self._command(actor, Command.START_VALIDATION, subject=version_id):
            version = self.get_model_version(version_id)
            version.check_may_start_validation(actor)
        version.start_validation(actor=actor)
        self.save(version)

    def conclude_validation(
        self,
        *,
        actor: str,
        version_id: UUID,
        outcome: str,
        evidence_digests: Sequence[str],
        signature: bytes,
        keyid: str,
        signed_at: str,
    ) -> None:
        """The validator concludes, signing the outcome and the evidence it rests on."""
        with self._command(actor, Command.CONCLUDE_VALIDATION, subject=version_id):
            conclusion = parse(Outcome, outcome, "validation outcome")
            evidence = check_digests(evidence_digests, "evidence digest")
            version = self.get_model_version(version_id)
            version.check_may_conclude_validation(actor)
            trained = (version.created_on, "the version was trained")
            statement = Statement(
                action="conclude_validation",
                subject=str(version.id),
                artifact_digest=version.artifact_digest,
                evidence_digests=tuple(evidence),
                signer=actor,
                signed_at=signed_at,
                outcome=conclusion.value,
            )
            encoded = self._verify_signed(
                actor, statement, signature=signature, keyid=keyid, not_before=[trained]
            )
        version.conclude_validation(
            outcome=conclusion.value,
            evidence_digests=evidence,
            signature=encoded,
            keyid=keyid,
            signed_at=signed_at,
            actor=actor,
        )
        self.save(version)


def check_training(
    training_spec: Mapping[str, object], code_version: str, environment: Mapping[str, object]
) -> None:
    """Refuse a training record the rules do not accept: a spec's ``seed`` out of range, an
    empty code version, an environment that is not names to texts. (``_command`` has checked
    that each is recordable JSON.)"""
    if not isinstance(training_spec, Mapping):
        raise InvalidArgumentError(f"training spec {training_spec!r} is not a mapping")
    if "seed" in training_spec:
        check_seed(training_spec["seed"], "training spec seed")
    if not isinstance(code_version, str) or not code_version.strip():
        raise InvalidArgumentError(
            f"code version {code_version!r} is empty: give the commit the artifact was built from"
        )
    if not isinstance(environment, Mapping):
        raise InvalidArgumentError(f"environment {environment!r} is not a mapping")
    for name, value in environment.items():
        check_text(value, f"environment {name}")


def _lineage(dataset_versions: object) -> list[object]:
    """The dataset versions a version was trained on, as recorded: each a text or an object."""
    lineage = check_list(dataset_versions, "dataset version")
    for item in lineage:
        if not isinstance(item, str | Mapping):
            raise InvalidArgumentError(f"dataset version {item!r} is neither a text nor an object")
    return [json_value(item, "dataset version") for item in lineage]
