"""Training through the ports: the data is fetched from the artifact store and checked against
the digests its data steward recorded, the trainer trains on it, and the artifact is stored and
recorded by its digest in the same ``Trained`` event as ``train_model_version`` (docs/events.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.aggregates.dataset import Dataset
from domain.commands.arguments import check_count, check_list, check_numbers
from domain.commands.development import DevelopmentCommands, check_training
from domain.commands.service import required
from domain.errors import InvalidArgumentError, PortError
from domain.rules.roles import Command

__all__ = ["TrainingCommands"]


class TrainingCommands(DevelopmentCommands):
    """The model developer's command that trains a version with the trainer port."""

    def train_model_version_from_data(
        self,
        *,
        actor: str,
        model_id: UUID,
        dataset_refs: Sequence[tuple[UUID, int]],
        training_spec: Mapping[str, str | int | float],
        code_version: str,
        environment: Mapping[str, str],
        derived_from: UUID | None = None,
    ) -> UUID:
        """Train on (dataset id, version number) refs whose content matches its digest; its id.

        The lineage records each ref as ``{"dataset", "version", "digest"}``.
        """
        needed_by = "training from data"
        with self._command(
            actor,
            Command.TRAIN_MODEL_VERSION,
            training_spec=training_spec,
            code_version=code_version,
            environment=environment,
        ):
            # Everything recorded afterwards is checked before the trainer runs or anything
            # is stored: a refusal leaves no trained artifact behind.
            check_training(training_spec, code_version, environment)
            store = required(self.artifacts, argument="artifacts", needed_by=needed_by)
            trainer = required(self.trainer, argument="trainer", needed_by=needed_by)
            if not check_list(dataset_refs, "dataset ref"):
                raise InvalidArgumentError("training from data needs at least one dataset version")
            for ref in dataset_refs:
                if not isinstance(ref, list | tuple) or len(ref) != 2:
                    raise InvalidArgumentError(
                        f"dataset ref {ref!r} is not a pair (dataset id, version number)"
                    )
            self._model_to_train(model_id, derived_from)
            lineage = [
                self._dataset_lineage(dataset_id, number) for dataset_id, number in dataset_refs
            ]
            data = [
                self._fetch_artifact(
                    store, ref["digest"], f"version {ref['version']} of dataset {ref['dataset']!r}"
                )
                for ref in lineage
            ]
            artifact, metrics = trainer.train(data, dict(training_spec))
            measured = _trained_metrics(metrics)
            digest = self._store_artifact(store, artifact, "the trained artifact")
        return self.train_model_version(
            actor=actor,
            model_id=model_id,
            dataset_versions=lineage,
            training_spec=training_spec,
            code_version=code_version,
            environment=environment,
            artifact_digest=digest,
            metrics=measured,
            derived_from=derived_from,
        )

    def _dataset_lineage(self, dataset_id: UUID, number: int) -> dict[str, Any]:
        """How the ``Trained`` event names one dataset version: name, number and digest."""
        check_count(number, "dataset version number")
        dataset = self._get(
            Dataset, dataset_id, f"no dataset with id {dataset_id}: register it first"
        )
        version = dataset.dataset_version(number)
        return {"dataset": dataset.name, "version": version.number, "digest": version.digest}


def _trained_metrics(metrics: Mapping[str, object]) -> dict[str, float]:
    """The trainer's metrics as floats; PortError, before anything is stored, if the ledger
    cannot record them (NaN, infinity, not numbers)."""
    try:
        return check_numbers(metrics, "metric")
    except InvalidArgumentError as error:
        raise PortError(f"the trainer answered outside its contract: {error}") from None
