"""The serving path's scoring: rows scored from plain mappings, without pandas per row."""

from adapters.scoring.compiled import CompiledModel
from adapters.scoring.scorer import CompiledScorer

__all__ = ["CompiledModel", "CompiledScorer"]
