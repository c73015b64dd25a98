"""The environment a model was trained in: package versions, their digest, the code version.

The ``Trained`` event records them so a reviewer can rebuild the environment; the digest is the
SHA-256 of the versions' canonical JSON (RFC 8785), so equal environments have equal digests.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest

__all__ = ["PACKAGES", "code_version", "environment_digest", "package_versions"]

PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "fairlearn", "lime", "skops")
"""The distributions whose versions decide what a trained model computes."""

GIT_TIMEOUT_SECONDS = 5.0


def package_versions() -> dict[str, str]:
    """``python`` and each of ``PACKAGES`` to its version (``"not installed"`` if absent)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def environment_digest(versions: Mapping[str, str]) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``versions``."""
    return sha256_digest(canonical_json(dict(versions)))


def code_version() -> str:
    """The git commit of govledger's source when it runs from a checkout, else
    ``govledger <version>`` of the installed distribution."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / ".git").exists():
        commit = _git_head(checkout)
        if commit:
            return commit
    try:
        return f"govledger {metadata.version('govledger')}"
    except metadata.PackageNotFoundError:
        return "govledger (unknown version)"


def _git_head(checkout: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None
