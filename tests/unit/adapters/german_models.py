"""A GovernedModel fitted on the German credit data with the trainer's pipeline, for adapter tests
that need a real model without going through the trainer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from adapters.credit import german
from adapters.models.governed import GovernedModel
from adapters.training.estimators import build_pipeline


def fitted_german_model(
    estimator: str,
    parameters: dict[str, Any],
    *,
    seed: int,
    train: Sequence[dict[str, object]],
) -> GovernedModel:
    """``estimator`` with ``parameters``, fitted on ``train`` (German credit rows with target)."""
    spec = {
        "estimator": {"name": estimator, "parameters": parameters},
        "features": {
            "numeric": list(german.NUMERIC_FEATURES),
            "categorical": list(german.CATEGORICAL_FEATURES),
        },
        "seed": seed,
    }
    model = GovernedModel(
        pipeline=build_pipeline(spec),
        numeric=german.NUMERIC_FEATURES,
        categorical=german.CATEGORICAL_FEATURES,
        target=german.TARGET,
        positive_label=german.POSITIVE_LABEL,
    )
    frame = pd.DataFrame(list(train))
    model.pipeline.fit(model.typed(frame), frame[german.TARGET])
    return model
