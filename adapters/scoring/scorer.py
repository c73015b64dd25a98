"""``CompiledScorer``: the ``Scorer`` port on compiled models, each artifact loaded once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from adapters.artifacts.model_files import load_model
from adapters.models.governed import GovernedModel
from adapters.scoring.compiled import CompiledModel
from ledger.encoding.digests import sha256_digest

__all__ = ["CompiledScorer"]


class CompiledScorer:
    """Scores rows with a model file: loaded by ``load`` (our skops allow-list by default) and
    compiled once per artifact digest, the ``capacity`` most recently used kept in memory.

    A model file that does not load raises what ``load`` raises (``ArtifactError``); a bad row
    raises ``InvalidArgumentError`` naming the row and column (``CompiledModel``).
    """

    def __init__(
        self,
        load: Callable[[bytes], GovernedModel] = load_model,
        *,
        capacity: int = 8,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._load = load
        self._capacity = capacity
        self._models: OrderedDict[str, CompiledModel] = OrderedDict()
        self._last: tuple[bytes, CompiledModel] | None = None
        self._lock = threading.Lock()

    def score(self, artifact: bytes, rows: Sequence[Mapping[str, object]]) -> list[float]:
        """One probability of the positive label per row, in the rows' order."""
        return [float(score) for score in self.model(artifact).score_rows(rows)]

    def model(self, artifact: bytes) -> CompiledModel:
        """The compiled model of ``artifact``, loading it on first sight of its digest."""
        last = self._last
        # The same bytes object again (the serving loop's case) skips hashing it: bytes are
        # immutable and held here, so its identity still means its content.
        if last is not None and last[0] is artifact:
            return last[1]
        digest = sha256_digest(artifact)
        with self._lock:
            compiled = self._models.get(digest)
            if compiled is None:
                compiled = CompiledModel.compile(self._load(artifact))
                self._models[digest] = compiled
                while len(self._models) > self._capacity:
                    self._models.popitem(last=False)
            self._models.move_to_end(digest)
            self._last = (artifact, compiled)
        return compiled
