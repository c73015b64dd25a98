"""Validation of a model file on the holdout of the data and spec it was trained with.

The holdout is the trainer's own (same reading, same ``holdout_split``): quality of the scores
and decisions, fairness of the decisions per protected attribute (``fairness.GroupCounts``), and
LIME on a seeded sample of holdout rows with the surrogates' fidelity. The report is the
canonical JSON (RFC 8785) of every number and the parameters that reproduce them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adapters.artifacts.model_files import load_model
from adapters.explaining.lime_explainer import LimeExplainer, ModelExplainer
from adapters.models.governed import GovernedModel
from adapters.training.spec import check_training_spec
from adapters.training.trainer import read_training_frame, split
from adapters.validation.fairness import GroupCounts
from adapters.validation.quality import quality_metrics
from domain.errors import InvalidArgumentError
from domain.ports.protocols import Assessment
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest

__all__ = ["HoldoutAssessor"]


class HoldoutAssessor:
    """The ``ModelAssessor`` port: explains ``sample`` holdout rows (all, if fewer) with
    ``explainer`` (LIME with its defaults unless given)."""

    def __init__(self, explainer: LimeExplainer | None = None, *, sample: int = 20) -> None:
        if sample < 1:
            raise InvalidArgumentError(f"sample {sample} must be at least 1 row to explain")
        self.explainer = explainer or LimeExplainer()
        self.sample = sample

    def assess(
        self,
        artifact: bytes,
        data: Sequence[bytes],
        spec: Mapping[str, object],
        *,
        protected_attributes: Sequence[str],
        seed: int,
    ) -> Assessment:
        """Quality, fairness per attribute and explainability of ``artifact`` on the holdout;
        ``InvalidArgumentError`` naming what to fix in data, spec or attributes."""
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise InvalidArgumentError(f"seed {seed!r} must be an integer in [0, 2**32)")
        checked = check_training_spec(spec)
        model = load_model(artifact)
        holdout = _holdout(data, checked, protected_attributes)
        labels, scores, decisions = _outcomes(model, holdout)
        quality = quality_metrics(labels, scores, decisions)
        counts = {
            a: GroupCounts.from_arrays(labels, decisions, holdout[a]) for a in protected_attributes
        }
        fairness = {attribute: c.metrics() for attribute, c in counts.items()}
        lime = self.explainer.for_model(model)
        explained = self._explain(lime, model.typed(holdout), seed=seed)
        fidelities = [float(row["fidelity"]) for row in explained]  # type: ignore[arg-type]
        explainability = {
            "fidelity_mean": float(np.mean(fidelities)),
            "fidelity_min": min(fidelities),
            "samples": float(len(fidelities)),
        }
        report = {
            "spec_digest": sha256_digest(canonical_json(checked)),
            "holdout_rows": len(holdout),
            "seed": seed,
            "quality": quality,
            "fairness": {
                a: {"metrics": fairness[a], "counts": c.to_json()} for a, c in counts.items()
            },
            "explainability": {**explainability, "parameters": lime.parameters, "rows": explained},
        }
        return Assessment(
            quality=quality,
            fairness=fairness,
            explainability=explainability,
            report=canonical_json(report),
        )

    def _explain(
        self, lime: ModelExplainer, frame: pd.DataFrame, *, seed: int
    ) -> list[dict[str, object]]:
        """LIME of ``sample`` rows drawn by ``seed``, each with its holdout position."""
        chosen = np.random.default_rng(seed).choice(
            len(frame), size=min(self.sample, len(frame)), replace=False
        )
        explained = []
        for position in sorted(int(i) for i in chosen):
            row: dict[str, Any] = frame.iloc[position].to_dict()
            explanation = lime.explain(row, seed=seed)
            explained.append(
                {
                    "holdout_row": position,
                    "fidelity": explanation["fidelity"],
                    "weights": explanation["weights"],
                }
            )
        return explained


def _holdout(
    data: Sequence[bytes], spec: Mapping[str, Any], protected_attributes: Sequence[str]
) -> pd.DataFrame:
    """The trainer's holdout rows, every protected attribute among their columns."""
    frame = read_training_frame(data, spec)
    missing = [a for a in protected_attributes if a not in frame.columns]
    if missing:
        raise InvalidArgumentError(
            f"protected attribute {missing} is not a column of the data; "
            f"its columns are {list(frame.columns)}"
        )
    return split(frame, spec)[1]


def _outcomes(model: GovernedModel, holdout: pd.DataFrame) -> tuple[Any, Any, Any]:
    """Labels, scores and decisions of the holdout rows."""
    frame = model.typed(holdout)
    scores = model.score(frame)
    try:
        decisions = model.decide(frame, scores)
    except ValueError as exc:
        raise InvalidArgumentError(f"the model cannot decide the holdout rows: {exc}") from exc
    return model.labels(holdout), scores, decisions
