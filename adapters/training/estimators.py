"""The estimators a training spec may name, the parameters each accepts, and the pipeline built.

The pipeline's shape is fixed (``preprocess`` = scaled numeric + one-hot categorical columns,
then ``estimator``) because scorers compile it for fast per-row scoring and model files are
loaded by an allow-list of exactly the types these estimators store
(``adapters.artifacts.model_files.TRUSTED_TYPES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = ["ALLOWED_PARAMETERS", "ESTIMATORS", "build_pipeline"]

ESTIMATORS: Mapping[str, Callable[..., Any]] = {
    "gradient_boosting": GradientBoostingClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
    "logistic_regression": LogisticRegression,
    "random_forest": RandomForestClassifier,
}
"""The estimator class of each name a spec may use."""

ALLOWED_PARAMETERS: Mapping[str, frozenset[str]] = {
    "gradient_boosting": frozenset({"n_estimators", "learning_rate", "max_depth"}),
    "hist_gradient_boosting": frozenset(
        {"max_iter", "learning_rate", "max_depth", "l2_regularization"}
    ),
    "logistic_regression": frozenset({"C", "max_iter", "class_weight"}),
    "random_forest": frozenset({"n_estimators", "max_depth", "min_samples_leaf", "class_weight"}),
}
"""The parameters each estimator takes from a spec (the schema types and bounds them)."""


def build_pipeline(spec: Mapping[str, Any]) -> Pipeline:
    """The unfitted pipeline of a checked spec, its estimator seeded with ``spec["seed"]``.

    Raises ``KeyError``/``ValueError`` for an estimator or parameter off the allow-list (a
    checked spec has none).
    """
    estimator_spec = spec["estimator"]
    name = estimator_spec["name"]
    parameters = dict(estimator_spec.get("parameters", {}))
    unknown = sorted(set(parameters) - ALLOWED_PARAMETERS[name])
    if unknown:
        raise ValueError(f"{name} does not take the parameters {unknown}")
    estimator = ESTIMATORS[name](**parameters, random_state=int(spec["seed"]))
    features = spec["features"]
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(features["numeric"])),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(features["categorical"]),
            ),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])
