"""The LIME explainer: LIME's own answer, reproducible by seed, from a model file or a model."""

from __future__ import annotations

import functools
import io
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
from lime.lime_tabular import LimeTabularExplainer
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from adapters.artifacts.model_files import dump_model, load_model
from adapters.credit import german
from adapters.explaining import lime_explainer
from adapters.explaining.lime_explainer import LimeExplainer, ModelExplainer
from adapters.models.governed import GovernedModel, holdout_split, training_stats
from domain.errors import ArtifactError, InvalidArgumentError

SAMPLES = 600
"""LIME's neighbourhood in these tests: small enough to be fast, large enough to be stable."""


class Credit(NamedTuple):
    """A logistic regression on the German credit data, its file and the data it came from."""

    model: GovernedModel
    artifact: bytes
    data: bytes
    spec: dict[str, Any]
    train: pd.DataFrame
    holdout: pd.DataFrame


@functools.cache
def credit() -> Credit:
    """The model every adapter test of this package explains and assesses (trained once)."""
    numeric, categorical = list(german.NUMERIC_FEATURES), list(german.CATEGORICAL_FEATURES)
    spec: dict[str, Any] = {
        "estimator": {"name": "logistic_regression", "parameters": {"max_iter": 1000}},
        "features": {"numeric": numeric, "categorical": categorical},
        "target": german.TARGET,
        "positive_label": german.POSITIVE_LABEL,
        "protected_attributes": list(german.PROTECTED_ATTRIBUTES),
        "split": {"test_size": 0.3, "stratify": True},
        "seed": 42,
    }
    data = german.german_credit_csv()
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    frame[numeric] = frame[numeric].astype(float)
    train, holdout = holdout_split(frame, spec)
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
        ]
    )
    pipeline = Pipeline(
        [
            ("preprocess", preprocess),
            ("estimator", LogisticRegression(max_iter=1000, random_state=0)),
        ]
    )
    model = GovernedModel(
        pipeline=pipeline,
        numeric=numeric,
        categorical=categorical,
        target=german.TARGET,
        positive_label=german.POSITIVE_LABEL,
        stats=training_stats(train, numeric, categorical),
    )
    pipeline.fit(train[model.features], model.labels(train))
    return Credit(model, dump_model(model), data, spec, train, holdout)


def holdout_row(position: int = 0) -> dict[str, object]:
    return dict(credit().model.typed(credit().holdout).iloc[position].to_dict())


def lime_on_training_rows(model: GovernedModel, train: pd.DataFrame) -> LimeTabularExplainer:
    """LIME set up the usual way, on the label-encoded training rows themselves."""
    columns = []
    for column in model.numeric:
        columns.append(train[column].to_numpy(dtype=float))
    names = {}
    for j, column in enumerate(model.categorical, start=len(model.numeric)):
        values = sorted(train[column].unique())
        names[j] = values
        columns.append(train[column].map({v: i for i, v in enumerate(values)}).to_numpy(float))
    return LimeTabularExplainer(
        np.column_stack(columns),
        feature_names=model.features,
        categorical_features=list(names),
        categorical_names=names,
        discretize_continuous=False,
        random_state=11,
    )


def test_an_explanation_is_lime_on_the_training_data_though_built_from_its_statistics() -> None:
    model, train = credit().model, credit().train
    ours = ModelExplainer(model, num_samples=2000, num_features=8)
    row = holdout_row(3)

    explained = ours.explain(row, seed=11)
    direct = lime_on_training_rows(model, train).explain_instance(
        ours.encode(row), ours.predict, num_features=8, num_samples=2000
    )

    # Same draws: the statistics reproduce the rows' means, std and frequencies up to rounding.
    expected = dict(direct.as_list(label=1))
    assert list(explained["weights"]) == list(expected)  # type: ignore[call-overload]
    assert explained["weights"] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert explained["fidelity"] == pytest.approx(direct.score, rel=1e-6)


def test_the_cached_lime_reseeded_answers_what_a_fresh_lime_with_that_seed_does() -> None:
    explainer = LimeExplainer(num_samples=SAMPLES)
    artifact, row = credit().artifact, holdout_row(1)
    explainer.explain(artifact, row, seed=99)

    again = explainer.explain(artifact, row, seed=5)
    fresh = LimeExplainer(num_samples=SAMPLES).explain(artifact, row, seed=5)

    assert again == fresh


def test_the_same_artifact_row_and_seed_give_identical_weights_whatever_numpy_global_state() -> (
    None
):
    explainer = LimeExplainer(num_samples=SAMPLES)
    artifact, row = credit().artifact, holdout_row(2)

    np.random.seed(1)
    first = explainer.explain(artifact, row, seed=42)
    state = np.random.get_state()
    np.random.seed(2)
    second = explainer.explain(artifact, row, seed=42)

    assert first == second
    np.random.seed(1)
    explainer.explain(artifact, row, seed=42)
    # LIME drew nothing from numpy's global generator.
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), state, strict=True))


def test_different_seeds_give_different_weights() -> None:
    explainer = LimeExplainer(num_samples=SAMPLES)
    artifact, row = credit().artifact, holdout_row(2)

    weights = [explainer.explain(artifact, row, seed=s)["weights"] for s in (1, 2, 3)]

    assert weights[0] != weights[1]
    assert weights[1] != weights[2]


def test_an_explanation_from_the_model_equals_the_one_from_its_file() -> None:
    explainer = LimeExplainer(num_samples=SAMPLES)
    row = holdout_row(4)

    assert explainer.explain_model(credit().model, row, seed=8) == explainer.explain(
        credit().artifact, row, seed=8
    )


def test_an_explanation_names_its_method_parameters_and_weights_of_model_features() -> None:
    explainer = LimeExplainer(num_samples=SAMPLES, num_features=6, kernel_width=3.0)
    model = credit().model

    explained = explainer.explain(credit().artifact, holdout_row(0), seed=3)

    assert explained["method"] == "lime_tabular"
    parameters = explained["parameters"]
    assert isinstance(parameters, dict)
    assert parameters["num_samples"] == SAMPLES
    assert parameters["num_features"] == 6
    assert parameters["kernel_width"] == 3.0
    assert parameters["discretize_continuous"] is False
    assert parameters["lime_version"] == "0.2.0.1"
    assert parameters["seed"] == 3
    weights = explained["weights"]
    assert isinstance(weights, dict)
    assert len(weights) == 6
    assert {name.split("=")[0] for name in weights} <= set(model.features)
    fidelity = explained["fidelity"]
    assert isinstance(fidelity, float)
    assert 0 <= fidelity <= 1


def test_a_categorical_weight_names_the_rows_own_value() -> None:
    row = holdout_row(5)
    explained = LimeExplainer(num_samples=SAMPLES, num_features=30).explain(
        credit().artifact, row, seed=1
    )

    categorical = [name for name in explained["weights"] if "=" in name]  # type: ignore[attr-defined]

    assert categorical
    assert all(row[name.split("=")[0]] == name.split("=", 1)[1] for name in categorical)


def test_a_category_unseen_in_training_is_explained_as_the_rows_own_value() -> None:
    explainer = LimeExplainer(num_samples=SAMPLES, num_features=30)
    row = {**holdout_row(5), "purpose": "vacation"}

    explained = explainer.explain(credit().artifact, row, seed=1)
    other = explainer.explain(credit().artifact, {**row, "purpose": "spaceship"}, seed=1)

    assert "purpose=vacation" in explained["weights"]  # type: ignore[operator]
    assert "purpose=spaceship" in other["weights"]  # type: ignore[operator]
    # The model ignores both unknown values alike, so LIME sees the same neighbourhood.
    assert list(explained["weights"].values()) == list(other["weights"].values())  # type: ignore[attr-defined]
    # The next row's known value is decoded as itself again.
    assert explainer.explain(credit().artifact, holdout_row(5), seed=1) == LimeExplainer(
        num_samples=SAMPLES, num_features=30
    ).explain(credit().artifact, holdout_row(5), seed=1)


def test_the_model_file_is_loaded_once_per_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[int] = []

    def counting_load(content: bytes) -> GovernedModel:
        loaded.append(len(content))
        return load_model(content)

    monkeypatch.setattr(lime_explainer, "load_model", counting_load)
    explainer = LimeExplainer(num_samples=SAMPLES)

    explainer.explain(credit().artifact, holdout_row(0), seed=1)
    explainer.explain(bytes(credit().artifact), holdout_row(1), seed=2)

    assert len(loaded) == 1


def test_threads_sharing_an_explainer_get_what_they_would_alone() -> None:
    explainer = LimeExplainer(num_samples=SAMPLES)
    jobs = [(holdout_row(i), seed) for i in (0, 1) for seed in (1, 2, 3)]
    alone = [
        LimeExplainer(num_samples=SAMPLES).explain(credit().artifact, r, seed=s) for r, s in jobs
    ]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a race would show
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            together = list(
                pool.map(
                    lambda job: explainer.explain(credit().artifact, job[0], seed=job[1]), jobs
                )
            )
    finally:
        sys.setswitchinterval(interval)

    assert together == alone


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"age": "old"}, "column 'age': 'old' is not a finite number"),
        ({"age": float("nan")}, "column 'age': nan is not a finite number"),
        ({"age": True}, "column 'age': True is not a finite number"),
    ],
)
def test_a_row_lime_cannot_explain_is_refused_naming_the_column(
    change: dict[str, object], message: str
) -> None:
    row = {**holdout_row(0), **change}

    with pytest.raises(InvalidArgumentError, match=message):
        LimeExplainer(num_samples=SAMPLES).explain(credit().artifact, row, seed=1)


def test_a_row_without_a_feature_is_refused_naming_it() -> None:
    row = holdout_row(0)
    del row["duration_months"]

    with pytest.raises(InvalidArgumentError, match="no column 'duration_months'"):
        LimeExplainer(num_samples=SAMPLES).explain_model(credit().model, row, seed=1)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_a_seed_numpy_cannot_take_is_refused(seed: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="seed"):
        LimeExplainer(num_samples=SAMPLES).explain(credit().artifact, holdout_row(0), seed=seed)


def test_bytes_that_are_not_a_model_file_are_refused() -> None:
    with pytest.raises(ArtifactError):
        LimeExplainer().explain(b"not a model", holdout_row(0), seed=1)


def test_parameters_lime_cannot_use_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="num_samples"):
        LimeExplainer(num_samples=1)
    with pytest.raises(InvalidArgumentError, match="kernel_width"):
        LimeExplainer(kernel_width=0.0)
