"""The baseline of the HTTP command benchmark: MLflow's model registry on a SQLite backend store.

MLflow's own Python client (``mlflow.MlflowClient``) talks straight to the store
(``sqlite:///<tmp>/mlflow.db``), with no tracking server, as issue 11 asks. One iteration is the
registry's analog of a governed release: create a version of a registered model, set a tag on it
("approved"), and move the registered model's alias to it ("deploying"): three operations.

MLflow is a bench-only dependency (the ``bench`` extra); ``available()`` says whether it is here.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from bench.http_commands_load import Operation

__all__ = ["MlflowRegistry", "available"]


def available() -> bool:
    """Whether MLflow is installed (``make bench-http-commands`` installs the bench extra)."""
    return importlib.util.find_spec("mlflow") is not None


class MlflowRegistry:
    """A fresh MLflow registry in ``directory``, with one registered model per client (a run
    with fewer clients uses the first ones)."""

    def __init__(self, directory: Path, clients: int) -> None:
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from mlflow import MlflowClient

        uri = f"sqlite:///{directory / 'mlflow.db'}"
        self._client: Any = MlflowClient(tracking_uri=uri, registry_uri=uri)
        self._source = (directory / "artifact").as_uri()
        self._models = [f"credit-{client}" for client in range(clients)]
        for name in self._models:
            self._client.create_registered_model(name)

    def iteration(self, client: int) -> list[Operation]:
        """One release on client ``client``'s model: version, tag, alias (each timed alone)."""
        name = self._models[client]
        created: dict[str, str] = {}

        def create() -> None:
            created["version"] = self._client.create_model_version(name, self._source).version

        def tag() -> None:
            self._client.set_model_version_tag(name, created["version"], "approved", "true")

        def alias() -> None:
            self._client.set_registered_model_alias(name, "production", created["version"])

        return [
            Operation("create-model-version", create),
            Operation("set-model-version-tag", tag),
            Operation("set-registered-model-alias", alias),
        ]
