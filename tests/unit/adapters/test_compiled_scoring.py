"""CompiledModel scores and decides exactly as the GovernedModel's pipeline does, without pandas."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder
from threadpoolctl import threadpool_limits

from adapters.credit import german
from adapters.credit.generator import derived_sample, rows
from adapters.models.governed import GovernedModel
from adapters.scoring.compiled import CompiledModel
from adapters.training.estimators import build_pipeline
from domain.errors import InvalidArgumentError

ESTIMATORS = {
    "logistic_regression": {"max_iter": 500},
    "random_forest": {"n_estimators": 15, "max_depth": 6},
    "gradient_boosting": {"n_estimators": 15, "max_depth": 2},
    "hist_gradient_boosting": {"max_iter": 15},
}


def _spec(name: str) -> dict[str, Any]:
    return {
        "estimator": {"name": name, "parameters": ESTIMATORS[name]},
        "features": {
            "numeric": list(german.NUMERIC_FEATURES),
            "categorical": list(german.CATEGORICAL_FEATURES),
        },
        "seed": 3,
    }


def governed(pipeline: Any, **thresholds: Any) -> GovernedModel:
    return GovernedModel(
        pipeline=pipeline,
        numeric=german.NUMERIC_FEATURES,
        categorical=german.CATEGORICAL_FEATURES,
        target=german.TARGET,
        positive_label=german.POSITIVE_LABEL,
        **thresholds,
    )


@pytest.fixture(scope="module", autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """OpenMP teams (histogram boosting) crawl on a busy 2-core machine; one thread gives the
    same scores (threads only split rows)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def applicants() -> list[dict[str, object]]:
    return rows(german.german_credit_csv())


@pytest.fixture(scope="module")
def models(applicants: list[dict[str, object]]) -> dict[str, GovernedModel]:
    frame = pd.DataFrame(applicants)
    trained = {}
    for name in ESTIMATORS:
        model = governed(build_pipeline(_spec(name)))
        model.pipeline.fit(model.typed(frame), frame[german.TARGET])
        trained[name] = model
    return trained


def unusual(applicants: list[dict[str, object]], count: int) -> list[dict[str, object]]:
    """Rows no applicant had: numbers anywhere in a wide range, some unknown categories."""
    rng = random.Random(11)
    made = []
    for _ in range(count):
        row = dict(rng.choice(applicants))
        for column in german.NUMERIC_FEATURES:
            row[column] = rng.choice([rng.uniform(-1e4, 1e5), rng.randint(0, 90), 0.1 + 0.2])
        for column in rng.sample(german.CATEGORICAL_FEATURES, 2):
            row[column] = rng.choice(["never_seen", "", "A11"])
        made.append(row)
    return made


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_batch_scores_exactly_as_the_pipeline_on_every_german_row_and_unusual_rows(
    name: str, models: dict[str, GovernedModel], applicants: list[dict[str, object]]
) -> None:
    model = models[name]
    compiled = CompiledModel.compile(model)
    derived = rows(derived_sample(400, seed=5, shift=None))

    assert compiled.compiled
    for batch in (applicants, derived, unusual(applicants, 300)):
        expected = model.score(model.frame(batch))
        assert np.array_equal(compiled.score_rows(batch), expected)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_one_row_scores_exactly_as_the_pipeline_on_a_one_row_frame(
    name: str, models: dict[str, GovernedModel], applicants: list[dict[str, object]]
) -> None:
    model = models[name]
    compiled = CompiledModel.compile(model)

    for row in [*applicants[:20], *unusual(applicants, 20)]:
        assert compiled.score_row(row) == model.score(model.frame([row]))[0]


def test_decisions_follow_the_group_thresholds_as_the_governed_model_does(
    models: dict[str, GovernedModel], applicants: list[dict[str, object]]
) -> None:
    pipeline = models["logistic_regression"].pipeline
    model = governed(
        pipeline, group_attribute="sex", group_thresholds={"female": 0.8, "male": 0.45}
    )
    compiled = CompiledModel.compile(model)

    decided = compiled.decide(applicants)

    assert np.array_equal(decided, model.decide(model.frame(applicants)))
    assert 0 < decided.sum() < len(applicants)
    plain = models["logistic_regression"]
    assert np.array_equal(
        CompiledModel.compile(plain).decide(applicants), plain.decide(plain.frame(applicants))
    )


def test_an_unknown_category_encodes_as_an_all_zero_block(
    models: dict[str, GovernedModel], applicants: list[dict[str, object]]
) -> None:
    model = models["logistic_regression"]
    compiled = CompiledModel.compile(model)
    row = {**applicants[0], "purpose": "spaceship"}

    encoded = compiled._encoder.encode_row(row)  # type: ignore[union-attr]

    expected = model.pipeline.named_steps["preprocess"].transform(model.frame([row]))
    assert np.array_equal(encoded, expected)
    assert encoded[0].sum() == pytest.approx(
        expected[0, : len(german.NUMERIC_FEATURES)].sum() + len(german.CATEGORICAL_FEATURES) - 1
    )


def test_a_pipeline_of_another_shape_is_scored_through_the_dataframe_path(
    applicants: list[dict[str, object]],
) -> None:
    pipeline = build_pipeline(_spec("logistic_regression"))
    pipeline.steps[0] = (
        "preprocess",
        ColumnTransformer(
            [
                ("numeric", MinMaxScaler(), list(german.NUMERIC_FEATURES)),
                (
                    "categorical",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    list(german.CATEGORICAL_FEATURES),
                ),
            ]
        ),
    )
    model = governed(Pipeline(pipeline.steps))
    frame = pd.DataFrame(applicants)
    model.pipeline.fit(model.typed(frame), frame[german.TARGET])

    compiled = CompiledModel.compile(model)

    assert not compiled.compiled
    assert np.array_equal(compiled.score_rows(applicants), model.score(model.frame(applicants)))
    assert compiled.score_row(applicants[1]) == model.score(model.frame(applicants[1:2]))[0]


def test_no_rows_get_an_empty_array(models: dict[str, GovernedModel]) -> None:
    assert CompiledModel.compile(models["random_forest"]).score_rows([]).shape == (0,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda row: row.pop("age"), r"row 3: the column 'age' is missing"),
        (lambda row: row.pop("housing"), r"row 3: the column 'housing' is missing"),
        (
            lambda row: row.update(age="old"),
            r"row 3, column 'age': expected a finite number, got 'old'",
        ),
        (
            lambda row: row.update(age=None),
            r"row 3, column 'age': expected a finite number, got None",
        ),
        (lambda row: row.update(credit_amount=float("inf")), r"row 3, column 'credit_amount'"),
    ],
)
def test_a_bad_row_is_refused_by_its_position_and_column(
    change: Callable[[dict[str, object]], object],
    message: str,
    models: dict[str, GovernedModel],
    applicants: list[dict[str, object]],
) -> None:
    compiled = CompiledModel.compile(models["gradient_boosting"])
    batch = [dict(row) for row in applicants[:6]]
    change(batch[3])

    with pytest.raises(InvalidArgumentError, match=message):
        compiled.score_rows(batch)
    with pytest.raises(InvalidArgumentError, match=message.replace("row 3", "row 0")):
        compiled.score_row(batch[3])


def test_a_group_without_a_threshold_is_refused_by_its_row(
    models: dict[str, GovernedModel], applicants: list[dict[str, object]]
) -> None:
    model = governed(
        models["logistic_regression"].pipeline,
        group_attribute="sex",
        group_thresholds={"female": 0.6},
    )
    compiled = CompiledModel.compile(model)

    with pytest.raises(InvalidArgumentError, match=r"row 0, column 'sex': no threshold for 'male'"):
        compiled.decide(applicants[:3])


def test_one_logistic_row_scores_at_least_three_times_faster_than_a_one_row_dataframe(
    models: dict[str, GovernedModel], applicants: list[dict[str, object]]
) -> None:
    model = models["logistic_regression"]
    compiled = CompiledModel.compile(model)
    row = applicants[7]
    frame = model.frame([row])

    def best_of(call: Callable[[], object], repeat: int) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(repeat):
                call()
            best = min(best, (time.perf_counter() - start) / repeat)
        return best

    pipeline_s = best_of(lambda: model.pipeline.predict_proba(frame), 10)
    compiled_s = best_of(lambda: compiled.score_row(row), 200)

    assert pipeline_s / compiled_s >= 3
