"""CompiledScorer keeps the Scorer contract, loads each model file once and refuses bad ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from adapters.artifacts.model_files import dump_model, load_model
from adapters.credit import german
from adapters.credit.generator import rows
from adapters.models.governed import GovernedModel
from adapters.scoring.scorer import CompiledScorer
from domain.errors import ArtifactError, InvalidArgumentError
from domain.ports.protocols import Scorer
from tests.contracts.ml_ports import ScorerContract
from tests.unit.adapters.german_models import fitted_german_model


def _trained(estimator: str, parameters: dict[str, Any]) -> GovernedModel:
    return fitted_german_model(
        estimator, parameters, seed=1, train=rows(german.german_credit_csv())
    )


@pytest.fixture(scope="module")
def logistic() -> GovernedModel:
    return _trained("logistic_regression", {"max_iter": 500})


@pytest.fixture(scope="module")
def forest() -> GovernedModel:
    return _trained("random_forest", {"n_estimators": 5})


@pytest.fixture(scope="module")
def applicants() -> list[dict[str, object]]:
    return rows(german.german_credit_csv())[:40]


class TestCompiledScorer(ScorerContract):
    @pytest.fixture
    def scorer(self) -> Scorer:
        return CompiledScorer()

    @pytest.fixture
    def scoring_input(
        self, logistic: GovernedModel, applicants: list[dict[str, object]]
    ) -> tuple[bytes, list[dict[str, object]]]:
        return dump_model(logistic), applicants


class CountingLoader:
    def __init__(self) -> None:
        self.loaded: list[bytes] = []

    def __call__(self, content: bytes) -> GovernedModel:
        self.loaded.append(content)
        return load_model(content)


def test_scores_are_the_models_own_for_each_artifact(
    logistic: GovernedModel, forest: GovernedModel, applicants: list[dict[str, object]]
) -> None:
    scorer = CompiledScorer()

    for model in (logistic, forest, logistic):
        scores = scorer.score(dump_model(model), applicants)
        assert np.array_equal(scores, model.score(model.frame(applicants)))


def test_a_model_file_is_loaded_once_per_digest_even_as_new_bytes_objects(
    logistic: GovernedModel, forest: GovernedModel, applicants: list[dict[str, object]]
) -> None:
    loader = CountingLoader()
    scorer = CompiledScorer(loader)
    first, second = dump_model(logistic), dump_model(forest)

    for artifact in (first, bytes(bytearray(first)), second, first, bytes(bytearray(second))):
        scorer.score(artifact, applicants[:2])

    assert loader.loaded == [first, second]


def test_the_least_recently_used_model_leaves_a_full_cache(
    logistic: GovernedModel, forest: GovernedModel, applicants: list[dict[str, object]]
) -> None:
    loader = CountingLoader()
    scorer = CompiledScorer(loader, capacity=1)
    first, second = dump_model(logistic), dump_model(forest)

    for artifact in (first, second, first):
        scorer.score(artifact, applicants[:1])

    assert loader.loaded == [first, second, first]


def test_a_file_that_is_not_a_model_file_is_refused_as_an_artifact_error(
    applicants: list[dict[str, object]],
) -> None:
    with pytest.raises(ArtifactError):
        CompiledScorer().score(b"PK\x03\x04 not a skops archive", applicants)


def test_a_bad_row_is_refused_naming_its_row_and_column(
    logistic: GovernedModel, applicants: list[dict[str, object]]
) -> None:
    batch = [dict(row) for row in applicants[:3]]
    batch[2]["duration_months"] = "twelve"

    with pytest.raises(InvalidArgumentError, match=r"row 2, column 'duration_months'"):
        CompiledScorer().score(dump_model(logistic), batch)


def test_a_capacity_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="capacity"):
        CompiledScorer(capacity=0)
