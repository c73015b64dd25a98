"""Artifacts: the content-addressed file store and skops model files loaded by our allow-list."""

from adapters.artifacts.file_store import FileArtifactStore
from adapters.artifacts.model_files import SkopsInspector, dump_model, load_model

__all__ = ["FileArtifactStore", "SkopsInspector", "dump_model", "load_model"]
