"""Model files: one ``GovernedModel`` saved with skops (never pickle) and loaded by our allow-list.

A skops file is a zip archive whose ``schema.json`` names, for every object, the module and
class (or function) to rebuild it from. Loading trusts neither the file nor skops' own default
list: every name in the schema, and every name ``skops.io.get_untrusted_types`` reports, must be
in ``TRUSTED_TYPES``, and every node kind in ``TRUSTED_LOADERS``, before anything is built. Only
then does ``skops.io.loads`` run, trusting the names it reported (all of them ours). A file that
is not a skops archive, or names anything else, raises ``ArtifactError`` and executes nothing.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

import skops.io as sio

from adapters.models.governed import GovernedModel
from domain.errors import ArtifactError

__all__ = [
    "TRUSTED_LOADERS",
    "TRUSTED_TYPES",
    "SkopsInspector",
    "dump_model",
    "load_model",
    "types_named",
]

# Every type a model file of ours holds, enumerated once by dumping a GovernedModel around each
# allowed estimator (adapters.training.estimators, with each allowed parameter kind) fitted on
# the German credit data, and listing the schema's names. A new estimator or a scikit-learn
# upgrade that stores new internals must extend this list on purpose, after review.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "adapters.models.governed.GovernedModel",
        "builtins.dict",
        "builtins.list",
        "builtins.slice",
        "builtins.str",
        "builtins.tuple",
        "numpy.float64",
        "numpy.int64",
        "numpy.ndarray",
        "numpy.random._generator.Generator",
        "numpy.random.mtrand.RandomState",
        "numpy.uint64",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.dummy.DummyClassifier",
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._gb.GradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._label.LabelEncoder",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
        "sklearn.tree._tree.Tree",
    }
)

# The skops node kinds those files use; kinds that call methods or functions by name
# (MethodNode, FunctionNode, PartialNode, OperatorFuncNode, ...) are refused outright.
TRUSTED_LOADERS: frozenset[str] = frozenset(
    {
        "DictNode",
        "JsonNode",
        "ListNode",
        "LossNode",
        "NdArrayNode",
        "ObjectNode",
        "RandomGeneratorNode",
        "RandomStateNode",
        "SliceNode",
        "TreeNode",
        "TupleNode",
        "TypeNode",
    }
)

_SKOPS_READS = threading.Lock()
"""Held while skops reads a file. numpy parses each array header with ``ast.literal_eval``,
and CPython 3.11 keeps one AST recursion counter for all threads (python/cpython#106905):
two loads at once could fail with "AST constructor recursion depth mismatch"."""

SCHEMA_LIMIT = 64 << 20
"""The largest ``schema.json`` read (bytes): a bigger one is refused, not parsed."""


def dump_model(model: GovernedModel) -> bytes:
    """The skops file of ``model``."""
    content: bytes = sio.dumps(model)
    return content


def load_model(content: bytes) -> GovernedModel:
    """The ``GovernedModel`` in a model file; ``ArtifactError`` if the file is not a skops
    archive, names a type or node kind off our allow-lists (nothing of it executed), or does
    not hold a ``GovernedModel``."""
    names, loaders = types_named(content)
    _refuse_untrusted(names, loaders)
    with _SKOPS_READS:
        try:
            reported = {str(name) for name in sio.get_untrusted_types(data=content)}
        except Exception as exc:
            raise ArtifactError(f"not a skops model file: {exc}") from exc
        _refuse_untrusted(reported, set())
        try:
            model = sio.loads(content, trusted=sorted(reported & TRUSTED_TYPES))
        except Exception as exc:
            raise ArtifactError(f"not a skops model file: {exc}") from exc
    if not isinstance(model, GovernedModel):
        raise ArtifactError(
            f"model file holds a {type(model).__name__}, not a GovernedModel: "
            "train or mitigate the model with govledger"
        )
    return model


def types_named(content: bytes) -> tuple[set[str], set[str]]:
    """(every ``module.name`` and every node kind) in a skops file's schema, read as JSON only;
    ``ArtifactError`` when ``content`` is not a skops archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("schema.json")
            if info.file_size > SCHEMA_LIMIT:
                raise ArtifactError(
                    f"not a skops model file: its schema.json is {info.file_size} bytes, "
                    f"over the {SCHEMA_LIMIT} limit"
                )
            schema = json.loads(archive.read(info))
    except ArtifactError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise ArtifactError(f"not a skops model file: {exc}") from exc
    if not isinstance(schema, dict) or "protocol" not in schema:
        raise ArtifactError("not a skops model file: schema.json has no skops protocol")
    names: set[str] = set()
    loaders: set[str] = set()
    for node in _nodes(schema):
        module, name = node.get("__module__"), node.get("__class__")
        if module is not None or name is not None:
            names.add(f"{module}.{name}")
        if "__loader__" in node:
            loaders.add(str(node["__loader__"]))
    return names, loaders


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object nested in ``value`` (iteratively: a deep file cannot overflow)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _refuse_untrusted(names: set[str], loaders: set[str]) -> None:
    untrusted = sorted(names - TRUSTED_TYPES)
    kinds = sorted(loaders - TRUSTED_LOADERS)
    if untrusted or kinds:
        problems = []
        if untrusted:
            problems.append("untrusted types " + ", ".join(untrusted))
        if kinds:
            problems.append("untrusted skops node kinds " + ", ".join(kinds))
        raise ArtifactError(
            "model file refused, nothing of it loaded: it names " + " and ".join(problems)
        )


class SkopsInspector:
    """An ``ArtifactInspector``: a model file must load by our allow-list (``load_model``)."""

    def inspect(self, artifact: bytes) -> None:
        """Raise ``ArtifactError`` naming what is untrusted when ``artifact`` does not load."""
        load_model(artifact)
