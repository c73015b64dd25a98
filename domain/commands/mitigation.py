"""Bias mitigation through the mitigator port: a new version of the same model, derived from the
original, trained on the same data with the spec extended by the mitigation, and a
``BiasMitigated`` event with the fairness before and after (docs/events.md, "Model versions")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain.commands.arguments import check_name, check_seed, json_object
from domain.commands.development import check_training
from domain.commands.service import required
from domain.commands.training import TrainingCommands, port_numbers
from domain.errors import InvalidArgumentError, PortError
from domain.rules.roles import Command

__all__ = ["MitigationCommands"]


class MitigationCommands(TrainingCommands):
    """The model developer's mitigation of a version's bias with the mitigator port."""

    def mitigate_model_version(
        self,
        *,
        actor: str,
        version_id: UUID,
        sensitive_attribute: str,
        method: str,
        seed: int,
        code_version: str,
        environment: Mapping[str, str],
    ) -> UUID:
        """Derive a bias-mitigated version of ``version_id`` for one protected attribute of its
        data; the new version's id. Its spec is the original's with a ``mitigation`` member
        (method, sensitive attribute, seed); its reference statistics are the original's."""
        needed_by = "mitigating a model version"
        with self._command(
            actor,
            Command.MITIGATE_MODEL_VERSION,
            subject=version_id,
            code_version=code_version,
            environment=environment,
        ):
            check_name(sensitive_attribute, "sensitive attribute")
            check_name(method, "mitigation method")
            check_seed(seed)
            store = required(self.artifacts, argument="artifacts", needed_by=needed_by)
            mitigator = required(self.mitigator, argument="mitigator", needed_by=needed_by)
            original = self.get_model_version(version_id)
            original.check_not_retired("be mitigated")
            lineage = self._trained_lineage(original)
            protected = self._protected_attributes(lineage)
            if sensitive_attribute not in protected:
                raise InvalidArgumentError(
                    f"sensitive attribute {sensitive_attribute!r} is not a protected attribute of "
                    f"the data of version {original.number}: name one of {protected}"
                )
            mitigation = {
                "method": method,
                "sensitive_attribute": sensitive_attribute,
                "seed": seed,
            }
            spec = {**original.training_spec, "mitigation": mitigation}
            check_training(spec, code_version, environment)
            model = self.get_model(original.model_id)
            mitigated = mitigator.mitigate(
                self._fetch_artifact(
                    store, original.artifact_digest, f"the artifact of version {original.number}"
                ),
                self._fetch_data(store, lineage),
                original.training_spec,
                sensitive_attribute=sensitive_attribute,
                method=method,
                seed=seed,
            )
            metrics = port_numbers(mitigated.metrics, "mitigator", "metric")
            before = port_numbers(mitigated.before, "mitigator", "fairness before")
            after = port_numbers(mitigated.after, "mitigator", "fairness after")
            parameters = _parameters(mitigated.parameters)
            digest = self._store_artifact(store, mitigated.artifact, "the mitigated artifact")
        version = self._new_version(
            model,
            actor=actor,
            dataset_versions=original.dataset_versions,
            training_spec=spec,
            code_version=code_version,
            environment={**original.training_environment, **environment},
            artifact_digest=digest,
            reference_digest=original.reference_digest,
            metrics=metrics,
            derived_from=original.id,
        )
        version.record_mitigation(
            method=method,
            sensitive_attribute=sensitive_attribute,
            parameters=parameters,
            before=before,
            after=after,
            actor=actor,
        )
        self.save(model, version)
        return version.id


def _parameters(parameters: Mapping[str, object]) -> dict[str, Any]:
    """The mitigator's parameters as recorded; PortError if they are not a JSON object."""
    try:
        return json_object(parameters, "mitigation parameters")
    except InvalidArgumentError as error:
        raise PortError(f"the mitigator answered outside its contract: {error}") from None
