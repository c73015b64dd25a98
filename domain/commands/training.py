"""Training through the ports: the trainer checks the spec first, the data is fetched from the
artifact store and checked against the digests its data steward recorded, the trainer trains on
it, and the artifact and its reference statistics are stored and recorded by their digests in
the same ``Trained`` event as ``train_model_version`` (docs/events.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.aggregates.dataset import Dataset
from domain.aggregates.model_version import ModelVersion
from domain.commands.arguments import check_count, check_list, check_numbers, check_text
from domain.commands.development import DevelopmentCommands, check_training
from domain.commands.service import required
from domain.errors import InvalidArgumentError, InvalidStateError, PortError
from domain.ports.protocols import ArtifactStore
from domain.rules.roles import Command

__all__ = ["TrainingCommands", "port_numbers"]


class TrainingCommands(DevelopmentCommands):
    """The model developer's command that trains a version with the trainer port, and the
    helpers that give later steps (assessment, mitigation) a version's data back."""

    def train_model_version_from_data(
        self,
        *,
        actor: str,
        model_id: UUID,
        dataset_refs: Sequence[tuple[UUID, int]],
        training_spec: Mapping[str, object],
        code_version: str,
        environment: Mapping[str, str],
        derived_from: UUID | None = None,
    ) -> UUID:
        """Train on (dataset id, version number) refs whose content matches its digest; its id.

        The lineage records each ref as ``{"dataset", "version", "digest"}``; the environment
        recorded is the caller's, overridden by what the trainer measured (package versions,
        ``environment_digest``); the metrics are the trainer's holdout metrics.
        """
        needed_by = "training from data"
        with self._command(
            actor,
            Command.TRAIN_MODEL_VERSION,
            subject=model_id,
            training_spec=training_spec,
            code_version=code_version,
            environment=environment,
        ):
            # Everything recorded afterwards is checked before the trainer runs or anything
            # is stored: a refusal leaves no trained artifact behind.
            check_training(training_spec, code_version, environment)
            store = required(self.artifacts, argument="artifacts", needed_by=needed_by)
            trainer = required(self.trainer, argument="trainer", needed_by=needed_by)
            trainer.check_spec(training_spec)
            lineage = self._lineage_of(dataset_refs)
            self._model_to_train(model_id, derived_from)
            trained = trainer.train(self._fetch_data(store, lineage), dict(training_spec))
            measured = port_numbers(trained.metrics, "trainer", "metric")
            recorded = {**environment, **_port_environment(trained.environment)}
            digest = self._store_artifact(store, trained.artifact, "the trained artifact")
            reference = self._store_artifact(store, trained.reference, "the reference statistics")
        return self.train_model_version(
            actor=actor,
            model_id=model_id,
            dataset_versions=lineage,
            training_spec=training_spec,
            code_version=code_version,
            environment=recorded,
            artifact_digest=digest,
            reference_digest=reference,
            metrics=measured,
            derived_from=derived_from,
        )

    def _lineage_of(self, dataset_refs: Sequence[tuple[UUID, int]]) -> list[dict[str, Any]]:
        """How the ``Trained`` event names each (dataset id, version number) ref."""
        if not check_list(dataset_refs, "dataset ref"):
            raise InvalidArgumentError("training from data needs at least one dataset version")
        for ref in dataset_refs:
            if not isinstance(ref, list | tuple) or len(ref) != 2:
                raise InvalidArgumentError(
                    f"dataset ref {ref!r} is not a pair (dataset id, version number)"
                )
        return [self._dataset_lineage(dataset_id, number) for dataset_id, number in dataset_refs]

    def _dataset_lineage(self, dataset_id: UUID, number: int) -> dict[str, Any]:
        """How the ``Trained`` event names one dataset version: name, number and digest."""
        check_count(number, "dataset version number")
        dataset = self._get(
            Dataset, dataset_id, f"no dataset with id {dataset_id}: register it first"
        )
        version = dataset.dataset_version(number)
        return {"dataset": dataset.name, "version": version.number, "digest": version.digest}

    def _fetch_data(
        self, store: ArtifactStore, lineage: Sequence[Mapping[str, Any]]
    ) -> list[bytes]:
        """The content of each dataset version of ``lineage``, checked against its digest."""
        return [
            self._fetch_artifact(
                store, ref["digest"], f"version {ref['version']} of dataset {ref['dataset']!r}"
            )
            for ref in lineage
        ]

    def _trained_lineage(self, version: ModelVersion) -> list[dict[str, Any]]:
        """The dataset versions ``version`` was trained on; InvalidStateError if it was recorded
        without data the ledger knows (a free-text lineage)."""
        lineage = [ref for ref in version.dataset_versions if isinstance(ref, dict)]
        if not lineage or len(lineage) != len(version.dataset_versions):
            raise InvalidStateError(
                f"version {version.number} was not trained from dataset versions registered in "
                "the ledger: train a version with train_model_version_from_data"
            )
        return lineage

    def _protected_attributes(self, lineage: Sequence[Mapping[str, Any]]) -> list[str]:
        """The protected attributes of the dataset versions of ``lineage``, in order, once each."""
        found: list[str] = []
        for ref in lineage:
            dataset = self._get(
                Dataset, Dataset.create_id(ref["dataset"]), f"no dataset named {ref['dataset']!r}"
            )
            for attribute in dataset.dataset_version(ref["version"]).protected_attributes:
                if attribute not in found:
                    found.append(attribute)
        return found


def port_numbers(numbers: Mapping[str, object], port: str, what: str) -> dict[str, float]:
    """A port's numbers as floats; PortError, before anything is stored, if the ledger cannot
    record them (NaN, infinity, not numbers)."""
    try:
        return check_numbers(numbers, what)
    except InvalidArgumentError as error:
        raise PortError(f"the {port} answered outside its contract: {error}") from None


def _port_environment(environment: Mapping[str, object]) -> dict[str, str]:
    """The trainer's environment as texts by name; PortError if it is not."""
    try:
        if not isinstance(environment, Mapping):
            raise InvalidArgumentError(f"environment {environment!r} is not a mapping")
        return {
            check_text(name, "environment name"): check_text(value, f"environment {name}")
            for name, value in environment.items()
        }
    except InvalidArgumentError as error:
        raise PortError(f"the trainer answered outside its contract: {error}") from None
