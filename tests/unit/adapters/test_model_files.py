"""Model files: skops round trips; files naming anything off our allow-list refused unexecuted."""

from __future__ import annotations

import gc
import io
import itertools
import json
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.naive_bayes import GaussianNB
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from adapters.artifacts.model_files import (
    TRUSTED_TYPES,
    SkopsInspector,
    dump_model,
    load_model,
    types_named,
)
from adapters.models.governed import GovernedModel, training_stats
from adapters.training.estimators import ESTIMATORS, build_pipeline
from domain.errors import ArtifactError

SMALL_PARAMETERS: dict[str, dict[str, Any]] = {
    "gradient_boosting": {"n_estimators": 5, "max_depth": 2},
    "hist_gradient_boosting": {"max_iter": 5},
    "logistic_regression": {"class_weight": "balanced"},
    "random_forest": {"n_estimators": 5, "class_weight": "balanced", "max_depth": None},
}

PLANTED_IDS = itertools.count(1)
"""skops memoises nodes by ``__id__``: each planted node gets its own (real ones are large)."""


def applicants(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "amount": rng.lognormal(8, 0.5, rows),
            "months": rng.integers(6, 48, rows).astype(float),
            "purpose": rng.choice(["car", "tv", "education"], rows),
        }
    )
    good = frame["amount"] / 3000 + rng.normal(0, 1, rows) < 1.5
    frame["risk"] = np.where(good, "good", "bad")
    return frame


def fitted(name: str, estimator: Any = None) -> GovernedModel:
    frame = applicants()
    spec = {
        "estimator": {"name": name, "parameters": SMALL_PARAMETERS[name]},
        "features": {"numeric": ["amount", "months"], "categorical": ["purpose"]},
        "seed": 3,
    }
    pipeline = build_pipeline(spec)
    if estimator is not None:
        pipeline.steps[-1] = ("estimator", estimator)
    model = GovernedModel(
        pipeline=pipeline,
        numeric=["amount", "months"],
        categorical=["purpose"],
        target="risk",
        positive_label="good",
        group_attribute="purpose",
        group_thresholds={"car": 0.4, "tv": 0.5, "education": 0.6},
        stats=training_stats(frame, ["amount", "months"], ["purpose"]),
    )
    # One thread: OpenMP threads oversubscribed on a busy host make boosting many times slower.
    with threadpool_limits(limits=1):
        model.pipeline.fit(model.typed(frame).loc[:, model.features], model.labels(frame))
    return model


@cache
def model_file(name: str) -> bytes:
    return dump_model(fitted(name))


def with_schema(content: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """``content`` with its schema.json changed in place by ``change``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "schema.json":
                schema = json.loads(data)
                change(schema)
                data = json.dumps(schema).encode()
            target.writestr(info, data)
    return out.getvalue()


def text_node(text: str) -> dict[str, Any]:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(text),
        "is_json": True,
        "__id__": next(PLANTED_IDS),
    }


def call_node(module: str, function: str, *arguments: str) -> dict[str, Any]:
    """A skops node that calls ``module.function(*arguments)`` when the file is loaded."""
    return {
        "__class__": function,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [text_node(argument) for argument in arguments],
            "__id__": next(PLANTED_IDS),
        },
        "__id__": next(PLANTED_IDS),
    }


def crafted(marker: Path, module: str, function: str) -> bytes:
    """A genuine model file whose ``stats`` are replaced by a call that creates ``marker``."""
    arguments = {
        ("os", "system"): (f"touch {marker}",),
        ("builtins", "exec"): (f"open({str(marker)!r}, 'w').close()",),
        ("builtins", "open"): (str(marker), "w"),
    }[(module, function)]

    def plant(schema: dict[str, Any]) -> None:
        schema["content"]["content"]["stats"] = call_node(module, function, *arguments)

    return with_schema(model_file("logistic_regression"), plant)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_model_of_each_allowed_estimator_loads_and_scores_as_saved(name: str) -> None:
    model = fitted(name)
    frame = model.typed(applicants(50, seed=1))

    loaded = load_model(dump_model(model))

    assert isinstance(loaded, GovernedModel)
    assert np.array_equal(loaded.score(frame), model.score(frame))
    assert np.array_equal(loaded.decide(frame), model.decide(frame))
    assert loaded.group_thresholds == model.group_thresholds
    assert loaded.stats == model.stats


def test_the_allow_list_holds_only_what_our_model_files_name() -> None:
    named: set[str] = set()
    for name in ESTIMATORS:
        named |= types_named(model_file(name))[0]

    assert named <= TRUSTED_TYPES
    assert not any(t.startswith(("fairlearn.", "os.", "subprocess.")) for t in TRUSTED_TYPES)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip file", b"PK\x03\x04garbage"],
    ids=["empty", "text", "zip-magic-garbage"],
)
def test_a_file_that_is_no_skops_archive_is_refused(content: bytes) -> None:
    with pytest.raises(ArtifactError, match="not a skops model file"):
        load_model(content)


def test_a_truncated_model_file_is_refused() -> None:
    content = model_file("logistic_regression")

    with pytest.raises(ArtifactError, match="not a skops model file"):
        load_model(content[: len(content) // 2])


@pytest.mark.parametrize(
    ("module", "function"), [("os", "system"), ("builtins", "exec"), ("builtins", "open")]
)
def test_a_crafted_file_that_would_run_code_is_refused_and_nothing_of_it_runs(
    tmp_path: Path, module: str, function: str
) -> None:
    marker = tmp_path / "executed"
    content = crafted(marker, module, function)

    with pytest.raises(ArtifactError, match=rf"untrusted types .*{module}\.{function}"):
        load_model(content)
    with pytest.raises(ArtifactError, match=rf"{module}\.{function}"):
        SkopsInspector().inspect(content)

    assert not marker.exists()


def test_the_crafted_file_does_run_code_when_skops_is_trusted_blindly(tmp_path: Path) -> None:
    """The refusal above means something: trusting what skops reports runs the planted call."""
    marker = tmp_path / "executed"
    content = crafted(marker, "builtins", "exec")

    sio.loads(content, trusted=sio.get_untrusted_types(data=content))

    assert marker.exists()


def test_a_model_holding_an_estimator_off_the_allow_list_is_refused() -> None:
    content = dump_model(fitted("logistic_regression", estimator=GaussianNB()))
    assert sio.get_untrusted_types(data=content) == ["adapters.models.governed.GovernedModel"]

    with pytest.raises(
        ArtifactError,
        match=r"untrusted types sklearn\.naive_bayes\.GaussianNB",
    ):
        load_model(content)


def test_a_node_kind_that_calls_methods_by_name_is_refused() -> None:
    def plant(schema: dict[str, Any]) -> None:
        schema["content"]["content"]["stats"] = {
            "__class__": "str",
            "__module__": "builtins",
            "__loader__": "MethodNode",
            "content": {"func": "upper", "obj": text_node("x")},
            "__id__": next(PLANTED_IDS),
        }

    content = with_schema(model_file("logistic_regression"), plant)

    with pytest.raises(ArtifactError, match="untrusted skops node kinds MethodNode"):
        load_model(content)


def test_a_skops_file_holding_something_else_than_a_governed_model_is_refused() -> None:
    content = sio.dumps({"weights": [1.0, 2.0]})

    with pytest.raises(ArtifactError, match="holds a dict, not a GovernedModel"):
        load_model(content)


class _Finalised:
    """Garbage whose finaliser runs Python code, so a collection can switch threads."""

    def __del__(self) -> None:
        sum(range(50))


def _load_among_garbage(content: bytes, times: int) -> list[GovernedModel]:
    models = []
    for _ in range(times):
        junk: list[object] = [_Finalised() for _ in range(5)]
        junk.append(junk)  # a cycle: only the collector frees it, running the finalisers
        models.append(load_model(content))
    return models


def test_threads_loading_model_files_at_once_each_get_the_model() -> None:
    # CPython 3.11's AST objects keep one recursion counter for every thread
    # (python/cpython#106905), and numpy reads each array header of a skops file with
    # ast.literal_eval: a thread switch inside it, here from a finaliser the collector
    # runs, failed concurrent loads with "AST constructor recursion depth mismatch"
    # (unguarded, 8 threads x 60 loads failed within a minute).
    content = model_file("logistic_regression")
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(5)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            batches = list(pool.map(lambda _: _load_among_garbage(content, 25), range(8)))
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)

    assert all(isinstance(model, GovernedModel) for batch in batches for model in batch)
