"""The contracts of the model ports (``domain.ports.protocols``): training, scoring, explaining and
monitoring (Build 8); assessing, mitigating and inspecting (issue 9).

A subclass overrides the fixtures that raise ``NotImplementedError``. The tests state only what
the domain relies on, so a fake that answers configured values passes, as a real adapter must;
how well an adapter computes its numbers belongs to that adapter's own tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest

from domain.errors import ArtifactError, InvalidArgumentError
from domain.ports.protocols import (
    ArtifactInspector,
    Assessment,
    DriftDetector,
    Explainer,
    FairnessAssessor,
    FeatureDrift,
    Mitigation,
    Mitigator,
    ModelAssessor,
    Scorer,
    TrainedModel,
    Trainer,
)
from tests.contracts.ports import is_finite_number, provided_by_subclass

Rows = Sequence[Mapping[str, object]]


class TrainerContract:
    """``Trainer``: checks a spec before any data; trains an artifact, finite holdout metrics,
    reference statistics and its environment from data and a spec, reproducibly."""

    @pytest.fixture
    def trainer(self) -> Trainer:
        return provided_by_subclass("trainer")

    @pytest.fixture
    def training_input(self) -> tuple[list[bytes], dict[str, object]]:
        """Dataset contents and a training spec (with a seed) the trainer can train on."""
        return provided_by_subclass("training_input")

    @pytest.fixture
    def refused_spec(self) -> dict[str, object]:
        """A training spec the trainer will not train (an estimator off its allow-list)."""
        return provided_by_subclass("refused_spec")

    def test_training_answers_an_artifact_metrics_reference_and_environment(
        self, trainer: Trainer, training_input: tuple[list[bytes], dict[str, object]]
    ) -> None:
        trained = trainer.train(*training_input)

        assert isinstance(trained, TrainedModel)
        assert isinstance(trained.artifact, bytes)
        assert trained.artifact
        assert trained.metrics
        assert all(isinstance(name, str) and name for name in trained.metrics)
        assert all(is_finite_number(value) for value in trained.metrics.values())
        assert isinstance(json.loads(trained.reference), dict)
        assert all(isinstance(v, str) for v in trained.environment.values())
        assert "environment_digest" in trained.environment

    def test_the_same_data_and_spec_train_the_same_model(
        self, trainer: Trainer, training_input: tuple[list[bytes], dict[str, object]]
    ) -> None:
        first, second = trainer.train(*training_input), trainer.train(*training_input)

        assert dict(first.metrics) == dict(second.metrics)
        assert first.reference == second.reference
        assert dict(first.environment) == dict(second.environment)

    def test_a_spec_it_trains_passes_the_check(
        self, trainer: Trainer, training_input: tuple[list[bytes], dict[str, object]]
    ) -> None:
        trainer.check_spec(training_input[1])

    def test_a_spec_it_will_not_train_is_refused_naming_what_to_fix(
        self, trainer: Trainer, refused_spec: dict[str, object]
    ) -> None:
        with pytest.raises(InvalidArgumentError) as refusal:
            trainer.check_spec(refused_spec)
        assert str(refusal.value)


class ScorerContract:
    """``Scorer``: one finite score per row, in the rows' order."""

    @pytest.fixture
    def scorer(self) -> Scorer:
        return provided_by_subclass("scorer")

    @pytest.fixture
    def scoring_input(self) -> tuple[bytes, list[dict[str, object]]]:
        """A trained artifact and at least two rows it can score."""
        return provided_by_subclass("scoring_input")

    def test_every_row_gets_one_finite_score(
        self, scorer: Scorer, scoring_input: tuple[bytes, list[dict[str, object]]]
    ) -> None:
        artifact, rows = scoring_input

        scores = scorer.score(artifact, rows)

        assert len(scores) == len(rows)
        assert all(is_finite_number(score) for score in scores)

    def test_a_row_scores_the_same_alone_as_among_others(
        self, scorer: Scorer, scoring_input: tuple[bytes, list[dict[str, object]]]
    ) -> None:
        artifact, rows = scoring_input

        alone = [scorer.score(artifact, [row])[0] for row in rows]

        assert alone == pytest.approx(scorer.score(artifact, rows))

    def test_no_rows_get_no_scores(
        self, scorer: Scorer, scoring_input: tuple[bytes, list[dict[str, object]]]
    ) -> None:
        assert list(scorer.score(scoring_input[0], [])) == []


class ExplainerContract:
    """``Explainer``: a method, JSON parameters, finite weights per feature, fidelity in [0, 1]."""

    @pytest.fixture
    def explainer(self) -> Explainer:
        return provided_by_subclass("explainer")

    @pytest.fixture
    def explaining_input(self) -> tuple[bytes, dict[str, object]]:
        """A trained artifact and one row it can explain."""
        return provided_by_subclass("explaining_input")

    def test_an_explanation_has_the_four_parts_the_ledger_records(
        self, explainer: Explainer, explaining_input: tuple[bytes, dict[str, object]]
    ) -> None:
        explained = explainer.explain(*explaining_input, seed=7)

        assert isinstance(explained["method"], str)
        assert explained["method"]
        assert isinstance(explained["parameters"], Mapping)
        weights = explained["weights"]
        assert isinstance(weights, Mapping)
        assert all(isinstance(name, str) and is_finite_number(w) for name, w in weights.items())
        fidelity = explained["fidelity"]
        assert is_finite_number(fidelity)
        assert 0 <= fidelity <= 1  # type: ignore[operator]

    def test_the_same_seed_gives_the_same_explanation(
        self, explainer: Explainer, explaining_input: tuple[bytes, dict[str, object]]
    ) -> None:
        first = explainer.explain(*explaining_input, seed=42)

        assert explainer.explain(*explaining_input, seed=42) == first


class FairnessAssessorContract:
    """``FairnessAssessor``: finite named metrics, ``disparate_impact`` among them, in [0, 1]."""

    @pytest.fixture
    def assessor(self) -> FairnessAssessor:
        return provided_by_subclass("assessor")

    PREDICTIONS = (1.0, 0.0, 1.0, 1.0, 0.0, 0.0)
    GROUPS = ("a", "a", "a", "b", "b", "b")

    def test_the_metrics_are_finite_with_a_disparate_impact_in_0_1(
        self, assessor: FairnessAssessor
    ) -> None:
        metrics = assessor.assess(self.PREDICTIONS, self.GROUPS)

        assert all(isinstance(name, str) and is_finite_number(v) for name, v in metrics.items())
        assert 0 <= metrics["disparate_impact"] <= 1


class DriftDetectorContract:
    """``DriftDetector``: per feature of the rows, PSI >= 0 and a KS p-value in [0, 1]."""

    @pytest.fixture
    def detector(self) -> DriftDetector:
        return provided_by_subclass("detector")

    @pytest.fixture
    def drift_input(self) -> tuple[Rows, Rows]:
        """Reference rows and window rows with the same features."""
        return provided_by_subclass("drift_input")

    def test_each_feature_gets_a_psi_and_a_p_value(
        self, detector: DriftDetector, drift_input: tuple[Rows, Rows]
    ) -> None:
        reference, window = drift_input
        features = {name for row in [*reference, *window] for name in row}

        drifts = detector.drift(reference, window)

        assert drifts
        assert set(drifts) <= features
        for drift in drifts.values():
            assert isinstance(drift, FeatureDrift)
            assert is_finite_number(drift.psi)
            assert drift.psi >= 0
            assert is_finite_number(drift.ks_p_value)
            assert 0 <= drift.ks_p_value <= 1


ModelInput = tuple[bytes, list[bytes], dict[str, object]]
"""A trained artifact, the dataset contents it was trained on, and its training spec."""


def _finite_numbers(numbers: Mapping[str, object]) -> bool:
    return all(isinstance(name, str) and is_finite_number(v) for name, v in numbers.items())


class ModelAssessorContract:
    """``ModelAssessor``: finite quality, fairness per protected attribute (a disparate impact
    in [0, 1] among them), explainability, and a JSON report; the same seed, the same report."""

    @pytest.fixture
    def assessor(self) -> ModelAssessor:
        return provided_by_subclass("assessor")

    @pytest.fixture
    def model_input(self) -> ModelInput:
        return provided_by_subclass("model_input")

    @pytest.fixture
    def protected_attributes(self) -> list[str]:
        """Protected attributes (columns) of the data of ``model_input``."""
        return provided_by_subclass("protected_attributes")

    def test_an_assessment_has_the_numbers_the_ledger_records(
        self, assessor: ModelAssessor, model_input: ModelInput, protected_attributes: list[str]
    ) -> None:
        assessed = assessor.assess(*model_input, protected_attributes=protected_attributes, seed=3)

        assert isinstance(assessed, Assessment)
        assert _finite_numbers(assessed.quality)
        assert 0 <= assessed.quality["auc_roc"] <= 1
        assert set(assessed.fairness) == set(protected_attributes)
        for metrics in assessed.fairness.values():
            assert _finite_numbers(metrics)
            assert 0 <= metrics["disparate_impact"] <= 1
            assert "equalized_odds_difference" in metrics
        assert _finite_numbers(assessed.explainability)
        assert 0 <= assessed.explainability["fidelity_min"] <= 1
        assert isinstance(json.loads(assessed.report), dict)

    def test_the_same_seed_gives_the_same_report(
        self, assessor: ModelAssessor, model_input: ModelInput, protected_attributes: list[str]
    ) -> None:
        first = assessor.assess(*model_input, protected_attributes=protected_attributes, seed=5)
        second = assessor.assess(*model_input, protected_attributes=protected_attributes, seed=5)

        assert first.report == second.report


class MitigatorContract:
    """``Mitigator``: a new artifact with finite metrics, fairness before and after, JSON
    parameters; reproducible by seed; a method it does not offer is an InvalidArgumentError."""

    @pytest.fixture
    def mitigator(self) -> Mitigator:
        return provided_by_subclass("mitigator")

    @pytest.fixture
    def model_input(self) -> ModelInput:
        return provided_by_subclass("model_input")

    @pytest.fixture
    def mitigation_choice(self) -> tuple[str, str]:
        """A (sensitive attribute, method) the mitigator offers for ``model_input``."""
        return provided_by_subclass("mitigation_choice")

    def test_a_mitigation_has_what_the_ledger_records(
        self, mitigator: Mitigator, model_input: ModelInput, mitigation_choice: tuple[str, str]
    ) -> None:
        attribute, method = mitigation_choice

        mitigated = mitigator.mitigate(
            *model_input, sensitive_attribute=attribute, method=method, seed=7
        )

        assert isinstance(mitigated, Mitigation)
        assert isinstance(mitigated.artifact, bytes)
        assert mitigated.artifact
        assert mitigated.artifact != model_input[0]
        assert _finite_numbers(mitigated.metrics)
        assert _finite_numbers(mitigated.before)
        assert _finite_numbers(mitigated.after)
        json.dumps(dict(mitigated.parameters))

    def test_the_same_seed_gives_the_same_mitigation(
        self, mitigator: Mitigator, model_input: ModelInput, mitigation_choice: tuple[str, str]
    ) -> None:
        attribute, method = mitigation_choice
        first, second = (
            mitigator.mitigate(*model_input, sensitive_attribute=attribute, method=method, seed=9)
            for _ in range(2)
        )

        assert (dict(first.after), dict(first.metrics)) == (
            dict(second.after),
            dict(second.metrics),
        )

    def test_a_method_it_does_not_offer_is_refused(
        self, mitigator: Mitigator, model_input: ModelInput, mitigation_choice: tuple[str, str]
    ) -> None:
        with pytest.raises(InvalidArgumentError):
            mitigator.mitigate(
                *model_input,
                sensitive_attribute=mitigation_choice[0],
                method="no-such-mitigation",
                seed=7,
            )


class ArtifactInspectorContract:
    """``ArtifactInspector``: a trusted model file passes; an untrusted one is an ArtifactError."""

    @pytest.fixture
    def inspector(self) -> ArtifactInspector:
        return provided_by_subclass("inspector")

    @pytest.fixture
    def trusted_artifact(self) -> bytes:
        return provided_by_subclass("trusted_artifact")

    @pytest.fixture
    def untrusted_artifact(self) -> bytes:
        """A model file holding a type off the allow-list (or not a model file at all)."""
        return provided_by_subclass("untrusted_artifact")

    def test_a_trusted_artifact_passes(
        self, inspector: ArtifactInspector, trusted_artifact: bytes
    ) -> None:
        inspector.inspect(trusted_artifact)

    def test_an_untrusted_artifact_is_refused_naming_why(
        self, inspector: ArtifactInspector, untrusted_artifact: bytes
    ) -> None:
        with pytest.raises(ArtifactError) as refusal:
            inspector.inspect(untrusted_artifact)
        assert str(refusal.value)
