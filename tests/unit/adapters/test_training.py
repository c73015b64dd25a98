"""Training from a spec on the German credit data: checked specs, clear data errors, determinism."""

from __future__ import annotations

import copy
import io
import json
import subprocess
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from adapters.artifacts.model_files import load_model
from adapters.credit.german import CATEGORICAL_FEATURES, NUMERIC_FEATURES, german_credit_csv
from adapters.models.governed import GovernedModel
from adapters.monitoring.reference import ReferenceStatistics
from adapters.training.environment import (
    PACKAGES,
    code_version,
    environment_digest,
    package_versions,
)
from adapters.training.estimators import ALLOWED_PARAMETERS, ESTIMATORS
from adapters.training.spec import check_training_spec, training_spec_schema
from adapters.training.trainer import SklearnTrainer, read_training_frame, split
from domain.errors import InvalidArgumentError
from domain.ports.protocols import TrainedModel

NUMERIC = list(NUMERIC_FEATURES)
CATEGORICAL = list(CATEGORICAL_FEATURES)
SPEC: dict[str, Any] = {
    "estimator": {"name": "logistic_regression", "parameters": {"C": 1.0, "max_iter": 1000}},
    "features": {"numeric": NUMERIC, "categorical": CATEGORICAL},
    "target": "credit_risk",
    "positive_label": "good",
    "protected_attributes": ["sex", "age_band"],
    "split": {"test_size": 0.3, "stratify": True},
    "seed": 42,
}


@cache
def german_frame() -> pd.DataFrame:
    """The German credit rows with readable names, ``sex`` and ``age_band`` among them."""
    return pd.read_csv(io.BytesIO(german_credit_csv()), dtype=str)


def german_csv() -> bytes:
    return german_credit_csv()


def spec_with(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    change(spec)
    return spec


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    return SklearnTrainer().train([german_csv()], SPEC)


def holdout_scores(artifact: bytes, spec: dict[str, Any] = SPEC) -> np.ndarray[Any, Any]:
    model = load_model(artifact)
    checked = check_training_spec(spec)
    _, holdout = split(read_training_frame([german_csv()], checked), checked)
    return model.score(model.typed(holdout))


def test_logistic_regression_on_german_credit_scores_the_holdout_well(
    trained: TrainedModel,
) -> None:
    metrics = trained.metrics

    assert metrics["auc_roc"] > 0.7
    assert metrics["holdout_rows"] == 300.0
    assert metrics["train_rows"] == 700.0
    assert set(metrics) == {
        "auc_roc", "accuracy", "precision", "recall", "f1", "brier", "holdout_rows", "train_rows"
    }  # fmt: skip
    assert all(0.0 <= metrics[m] <= 1.0 for m in ("accuracy", "precision", "recall", "f1", "brier"))


def test_the_model_file_holds_the_specs_features_target_and_threshold(
    trained: TrainedModel,
) -> None:
    model = load_model(trained.artifact)

    assert isinstance(model, GovernedModel)
    assert (model.numeric, model.categorical) == (NUMERIC, CATEGORICAL)
    assert (model.target, model.positive_label, model.threshold) == ("credit_risk", "good", 0.5)
    assert set(model.stats) == {*NUMERIC, *CATEGORICAL}


def test_the_score_is_the_probability_of_the_positive_label(trained: TrainedModel) -> None:
    scores = holdout_scores(trained.artifact)
    checked = check_training_spec(SPEC)
    _, holdout = split(read_training_frame([german_csv()], checked), checked)
    good = holdout["credit_risk"] == "good"

    assert scores[good.to_numpy()].mean() > scores[~good.to_numpy()].mean() + 0.1


def test_the_reference_statistics_are_those_of_the_train_split(trained: TrainedModel) -> None:
    checked = check_training_spec(SPEC)
    train, _ = split(read_training_frame([german_csv()], checked), checked)
    expected = ReferenceStatistics.from_frame(
        train,
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        protected=["sex", "age_band"],
        target="credit_risk",
        positive_label="good",
    )

    assert trained.reference == expected.to_json()


def test_the_environment_names_the_package_versions_and_their_digest(
    trained: TrainedModel,
) -> None:
    environment = dict(trained.environment)
    digest = environment.pop("environment_digest")

    assert environment == package_versions()
    assert set(environment) == {"python", *PACKAGES}
    assert digest == environment_digest(environment)
    assert digest != environment_digest({**environment, "numpy": "0.0"})


def test_the_code_version_is_the_checkouts_commit() -> None:
    root = Path(__file__).resolve().parents[3]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False
    ).stdout.strip()
    if not head:  # an unpacked release: the installed distribution's version names the code
        assert code_version().startswith("govledger ")
        return

    assert code_version() == head


def test_training_again_with_the_same_seed_gives_identical_predictions() -> None:
    spec = spec_with(
        lambda s: s.update(estimator={"name": "random_forest", "parameters": {"n_estimators": 5}})
    )
    first = SklearnTrainer().train([german_csv()], spec)
    second = SklearnTrainer().train([german_csv()], spec)
    other_seed = SklearnTrainer().train([german_csv()], spec_with(lambda s: s.update(seed=7)))

    assert np.array_equal(
        holdout_scores(first.artifact, spec), holdout_scores(second.artifact, spec)
    )
    assert first.metrics == second.metrics
    assert not np.array_equal(
        holdout_scores(first.artifact, spec),
        holdout_scores(other_seed.artifact, spec_with(lambda s: s.update(seed=7))),
    )


def test_data_in_several_items_is_read_as_the_same_data_in_one() -> None:
    frame = german_frame()
    halves = [csv_of(frame.iloc[:400]), csv_of(frame.iloc[400:])]

    pd.testing.assert_frame_equal(
        read_training_frame(halves, SPEC), read_training_frame([german_csv()], SPEC)
    )


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("random_forest", {"n_estimators": 10, "max_depth": 4, "min_samples_leaf": 2}),
        ("gradient_boosting", {"n_estimators": 10, "learning_rate": 0.2, "max_depth": 2}),
        ("hist_gradient_boosting", {"max_iter": 10, "l2_regularization": 1.0}),
    ],
)
def test_every_allowed_estimator_trains_a_model_that_loads(
    name: str, parameters: dict[str, Any]
) -> None:
    spec = spec_with(lambda s: s.update(estimator={"name": name, "parameters": parameters}))

    trained = SklearnTrainer().train([german_csv()], spec)

    model = load_model(trained.artifact)
    assert model.pipeline.named_steps["estimator"].get_params()["random_state"] == 42
    assert trained.metrics["auc_roc"] > 0.6


def test_the_schema_allows_exactly_the_parameters_the_estimators_take() -> None:
    definitions = training_spec_schema()["$defs"]

    assert set(ALLOWED_PARAMETERS) == set(ESTIMATORS)
    for name, allowed in ALLOWED_PARAMETERS.items():
        assert set(definitions[name]["properties"]) == allowed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["estimator"].update(name="svm"),
            "training spec /estimator/name: 'svm' is not one of the allowed estimators: "
            "gradient_boosting, hist_gradient_boosting, logistic_regression, random_forest",
        ),
        (
            lambda s: s["estimator"]["parameters"].update(n_estimators=5),
            "training spec /estimator/parameters: Additional properties are not allowed "
            "('n_estimators' was unexpected) (expected: logistic_regression takes C, max_iter",
        ),
        (
            lambda s: s["estimator"]["parameters"].update(C=-1),
            "training spec /estimator/parameters/C: -1 is less than or equal to the minimum of 0",
        ),
        (
            lambda s: s["estimator"]["parameters"].update(max_iter="many"),
            "training spec /estimator/parameters/max_iter: 'many' is not of type 'integer'",
        ),
        (lambda s: s.update(seed=2**32), "training spec /seed: 4294967296 is greater than"),
        (lambda s: s.update(seed=True), "training spec /seed: True is not of type 'integer'"),
        (lambda s: s["split"].update(test_size=0), "training spec /split/test_size: 0 is less"),
        (lambda s: s.update(threshold=1.5), "training spec /threshold: 1.5 is greater"),
        (lambda s: s.pop("target"), "training spec: 'target' is a required property"),
        (lambda s: s.update(extra=1), "('extra' was unexpected)"),
        (lambda s: s["split"].update(shuffle=True), "training spec /split: Additional prop"),
        (
            lambda s: s["features"].update(numeric=[], categorical=[]),
            "training spec /features: name at least one numeric or categorical feature",
        ),
        (
            lambda s: s["features"].update(categorical=["credit_amount"]),
            "training spec /features: ['credit_amount'] are both numeric and categorical",
        ),
        (
            lambda s: s.update(target="credit_amount"),
            "training spec /target: 'credit_amount' is also a feature: remove it from /features",
        ),
        (lambda s: s.update(seed=float("nan")), "training spec is not plain JSON"),
        (lambda s: s.update(seed=object()), "training spec holds a object: use only JSON values"),
    ],
)
def test_a_spec_the_trainer_will_not_train_is_refused_with_where_and_what_to_fix(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    spec = spec_with(change)

    with pytest.raises(InvalidArgumentError) as refused:
        SklearnTrainer().check_spec(spec)
    assert message in str(refused.value)
    with pytest.raises(InvalidArgumentError):
        SklearnTrainer().train([b"never read"], spec)


def test_the_schema_ships_as_package_data_and_is_valid_json() -> None:
    text = resources.files("adapters.training").joinpath("training_spec.schema.json").read_text()

    assert json.loads(text)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def csv_of(frame: pd.DataFrame) -> bytes:
    return str(frame.to_csv(index=False)).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: [], "training needs at least one dataset version's data"),
        (lambda: [b"\xff\xfe\x00garbage"], "data item 1 is not a CSV file"),
        (lambda: [b""], "data item 1 is not a CSV file"),
        (
            lambda: [csv_of(german_frame().drop(columns=["purpose"]))],
            "data item 1 has no column ['purpose'] named by the training spec",
        ),
        (
            lambda: [csv_of(german_frame().iloc[:0])],
            "data item 1 has a header but no rows",
        ),
        (
            lambda: [csv_of(german_frame().assign(credit_amount=lambda f: f.credit_amount.where(
                f.index != 4, "lots")))],
            "data item 1 row 5 column 'credit_amount': 'lots' is not a finite number",
        ),
        (
            lambda: [csv_of(german_frame().assign(age=lambda f: f.age.where(
                f.index != 9, "1e999")))],
            "data item 1 row 10 column 'age': '1e999' is not a finite number",
        ),
        (
            lambda: [csv_of(german_frame().assign(purpose=lambda f: f.purpose.where(
                f.index != 2, "")))],
            "data item 1 row 3 column 'purpose' is empty: fill it in",
        ),
        (
            lambda: [german_csv(), csv_of(german_frame().iloc[:, ::-1])],
            "data item 2 has the header",
        ),
        (
            lambda: [csv_of(german_frame().assign(credit_risk="good"))],
            "the train split has only positive rows of 'credit_risk'",
        ),
        (
            lambda: [csv_of(german_frame().iloc[:3])],
            "training data cannot be split as training spec /split says",
        ),
    ],
    ids=[
        "no-items", "binary", "empty", "missing-column", "no-rows", "not-a-number", "infinite",
        "empty-cell", "other-header", "one-outcome", "too-few-rows",
    ],
)  # fmt: skip
def test_bad_data_is_refused_naming_the_item_row_and_column(
    data: Callable[[], list[bytes]], message: str
) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        SklearnTrainer().train(data(), SPEC)

    assert message in str(refused.value)
