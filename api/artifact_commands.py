"""``govledger store-artifact FILE``: put bytes in the artifact store; print the digest to cite.

The command line's twin of ``POST /v1/artifacts``: commands carry only digests, so data sets,
evidence and reports are stored first. The store is content-addressed (the file's name is its
digest), so storing the same bytes twice is harmless and nothing stored can be replaced.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from adapters.artifacts.file_store import FileArtifactStore
from api.commands import EXIT_OK
from api.errors import InputFileError
from api.files import read_bytes
from api.settings import Settings

__all__ = ["register"]

Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]


def register(add: Adder) -> None:
    """Add ``store-artifact`` through the CLI's ``add``."""
    store = add(
        "store-artifact",
        store_artifact,
        "store a file in the artifact store and print the sha256 digest commands cite",
    )
    store.add_argument("file", type=Path, help="the file (a data set, a report, evidence)")
    store.add_argument("--json", action="store_true", help="print {digest, size} as JSON")


def store_artifact(settings: Settings, arguments: argparse.Namespace) -> int:
    """Store the file's bytes under ``GOVLEDGER_HOME``; print their digest."""
    content = read_bytes(arguments.file)
    if not content:
        raise InputFileError(f"{arguments.file} is empty: give the file to store")
    digest = FileArtifactStore.in_home(settings.home).put(content)
    if arguments.json:
        print(json.dumps({"digest": digest, "size": len(content)}))
    else:
        print(digest)
    return EXIT_OK
