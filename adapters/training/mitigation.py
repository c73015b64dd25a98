"""``FairlearnMitigator``: per-group decision thresholds from fairlearn's ``ThresholdOptimizer``.

fairlearn's optimizer (demographic parity, balanced accuracy, on the train split) answers, per
group, a *randomised* rule: with probability ``p0`` threshold ``t0``, else ``t1``. Serving must
decide a row the same way alone or in a batch, so the rule is made deterministic: each group gets
the one threshold whose selection rate on the group's train rows equals the rule's expected rate
(``p0 * rate(t0) + p1 * rate(t1)``). The result is the same pipeline in a new ``GovernedModel``
with ``group_attribute`` and ``group_thresholds``; nothing random remains, but the seed is
recorded as the random state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
)
from fairlearn.postprocessing import ThresholdOptimizer

from adapters.artifacts.model_files import dump_model, load_model
from adapters.models.governed import GovernedModel
from adapters.training.spec import check_training_spec
from adapters.training.trainer import holdout_metrics, read_training_frame, split
from domain.errors import InvalidArgumentError, PortError
from domain.ports.protocols import Mitigation

__all__ = ["CONSTRAINT", "METHODS", "OBJECTIVE", "FairlearnMitigator", "fairness_of"]

METHODS = ("threshold_optimizer",)
CONSTRAINT = "demographic_parity"
OBJECTIVE = "balanced_accuracy_score"


class FairlearnMitigator:
    """A ``Mitigator`` offering ``threshold_optimizer``."""

    def mitigate(
        self,
        artifact: bytes,
        data: Sequence[bytes],
        spec: Mapping[str, object],
        *,
        sensitive_attribute: str,
        method: str,
        seed: int,
    ) -> Mitigation:
        """The mitigated model of ``artifact`` and its fairness before and after on the holdout;
        ``InvalidArgumentError`` for another method or an attribute missing from the data."""
        if method not in METHODS:
            raise InvalidArgumentError(
                f"mitigation method {method!r} is not offered: use one of {', '.join(METHODS)}"
            )
        checked = check_training_spec(spec)
        model = load_model(artifact)
        frame = read_training_frame(data, checked)
        if sensitive_attribute not in frame.columns:
            raise InvalidArgumentError(
                f"sensitive attribute {sensitive_attribute!r} is not a column of the data: "
                f"use one of {sorted(frame.columns)}"
            )
        train, holdout = split(frame, checked)
        thresholds = group_thresholds(model, train, sensitive_attribute)
        unseen = sorted(set(holdout[sensitive_attribute].astype(str)) - set(thresholds))
        if unseen:
            raise InvalidArgumentError(
                f"{sensitive_attribute} {unseen} occur in the holdout but not in the train split:"
                " no threshold can be learnt for them"
            )
        mitigated = GovernedModel(
            pipeline=model.pipeline,
            numeric=model.numeric,
            categorical=model.categorical,
            target=model.target,
            positive_label=model.positive_label,
            threshold=model.threshold,
            group_attribute=sensitive_attribute,
            group_thresholds=thresholds,
            stats=model.stats,
        )
        return Mitigation(
            artifact=dump_model(mitigated),
            metrics=holdout_metrics(mitigated, holdout, train_rows=len(train)),
            before=fairness_of(model, holdout, sensitive_attribute),
            after=fairness_of(mitigated, holdout, sensitive_attribute),
            parameters={
                "method": method,
                "constraint": CONSTRAINT,
                "objective": OBJECTIVE,
                "random_state": seed,
                "sensitive_attribute": sensitive_attribute,
                "group_thresholds": dict(sorted(thresholds.items())),
            },
        )


def group_thresholds(model: GovernedModel, train: pd.DataFrame, attribute: str) -> dict[str, float]:
    """Per value of ``attribute``, the deterministic threshold equivalent on ``train`` of the
    randomised rule ``ThresholdOptimizer`` fits there (see the module docstring)."""
    frame = model.typed(train)
    groups = train[attribute].astype(str).to_numpy()
    optimizer = ThresholdOptimizer(
        estimator=model.pipeline,
        constraints=CONSTRAINT,
        objective=OBJECTIVE,
        prefit=True,
        predict_method="predict_proba",
    )
    optimizer.fit(frame.loc[:, model.features], model.labels(train), sensitive_features=groups)
    scores = model.score(frame)
    rules = optimizer.interpolated_thresholder_.interpolation_dict
    return {
        str(group): _threshold_for(scores[groups == str(group)], rule, str(group))
        for group, rule in rules.items()
    }


def _threshold_for(scores: np.ndarray[Any, Any], rule: Mapping[str, Any], group: str) -> float:
    """The threshold ``t`` (decide ``score >= t``) selecting the rule's expected share of
    ``scores``; ties at ``t`` may select a few more."""
    rate = 0.0
    for weight, operation in ((rule["p0"], rule["operation0"]), (rule["p1"], rule["operation1"])):
        if operation.operator != ">":
            raise PortError(f"fairlearn answered a {operation.operator!r} rule for {group}")
        rate += float(weight) * float(np.mean(scores > operation.threshold))
    ranked = np.sort(scores)[::-1]
    selected = round(rate * len(ranked))
    if selected == 0:
        return float(np.nextafter(max(float(ranked[0]), 1.0), np.inf))
    return float(ranked[selected - 1])


def fairness_of(model: GovernedModel, holdout: pd.DataFrame, attribute: str) -> dict[str, float]:
    """On ``holdout``: ``selection_rate.<group>``, ``disparate_impact`` (min/max selection rate,
    1 when no group is selected), ``demographic_parity_difference`` and
    ``equalized_odds_difference`` of ``model``'s decisions by ``attribute``."""
    frame = model.typed(holdout)
    decisions = model.decide(frame)
    labels = model.labels(holdout)
    groups = holdout[attribute].astype(str).to_numpy()
    rates = {str(g): float(np.mean(decisions[groups == g])) for g in sorted(set(groups))}
    highest = max(rates.values())
    fairness = {f"selection_rate.{group}": rate for group, rate in rates.items()}
    fairness["disparate_impact"] = min(rates.values()) / highest if highest > 0 else 1.0
    fairness["demographic_parity_difference"] = float(
        demographic_parity_difference(labels, decisions, sensitive_features=groups)
    )
    fairness["equalized_odds_difference"] = float(
        equalized_odds_difference(labels, decisions, sensitive_features=groups)
    )
    return fairness
