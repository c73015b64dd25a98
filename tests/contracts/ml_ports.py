"""The contracts of the model ports (``domain.ports.protocols``): training, scoring, explaining and
monitoring (Build 8).

A subclass overrides the fixtures that raise ``NotImplementedError``. The tests state only what
the domain relies on, so a fake that answers configured values passes, as a real adapter must;
how well an adapter computes its numbers belongs to that adapter's own tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from domain.ports.protocols import (
    DriftDetector,
    Explainer,
    FairnessAssessor,
    FeatureDrift,
    Scorer,
    Trainer,
)
from tests.contracts.ports import is_finite_number, provided_by_subclass

Rows = Sequence[Mapping[str, object]]


class TrainerContract:
    """``Trainer``: an artifact and finite holdout metrics from data and a spec, reproducibly."""

    @pytest.fixture
    def trainer(self) -> Trainer:
        return provided_by_subclass("trainer")

    @pytest.fixture
    def training_input(self) -> tuple[list[bytes], dict[str, object]]:
        """Dataset contents and a training spec (with a seed) the trainer can train on."""
        return provided_by_subclass("training_input")

    def test_training_answers_an_artifact_and_named_finite_metrics(
        self, trainer: Trainer, training_input: tuple[list[bytes], dict[str, object]]
    ) -> None:
        artifact, metrics = trainer.train(*training_input)

        assert isinstance(artifact, bytes)
        assert artifact
        assert metrics
        assert all(isinstance(name, str) and name for name in metrics)
        assert all(is_finite_number(value) for value in metrics.values())

    def test_the_same_data_and_spec_train_the_same_artifact(
        self, trainer: Trainer, training_input: tuple[list[bytes], dict[str, object]]
    ) -> None:
        first, second = trainer.train(*training_input), trainer.train(*training_input)

        assert first[0] == second[0]
        assert dict(first[1]) == dict(second[1])


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
