"""The file artifact store meets the ``ArtifactStore`` contract the fake meets."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.artifacts.file_store import FileArtifactStore
from domain.ports.protocols import ArtifactStore
from tests.contracts.ports import ArtifactStoreContract


class TestFileArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> ArtifactStore:
        return FileArtifactStore(tmp_path / "artifacts")
