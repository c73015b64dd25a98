"""Our side of the HTTP command benchmark: a fresh embedded ledger served over HTTP.

``served_ledger`` runs ``govledger init`` into a temporary home (SQLite, the embedded default),
enrols the people of a release (a developer, a validator and an approver with personal keys, a
deployer; each with an API token), sets the benchmark policy, registers one model per client,
then serves the API in a subprocess (``bench.http_commands_server``: uvicorn on ``create_app``)
until the block ends.

The benchmark policy is the default one relaxed as far as the domain allows: no validation
before UAT, one approver for every risk tier, only critical findings blocking (prod's validation
and approval gates may not be switched off). None of it gates a deployment to dev; what no policy
can switch off is the domain's rule that an approval follows a passed, signed validation, so each
release also starts and concludes a validation.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

from adapters.personal_signing import PersonalKey, generate_personal_key
from api.composition import open_ledger
from api.settings import Settings
from api.tokens import TokenStore
from bench.ml_common import demo_model
from domain.rules.policy import default_policy_document
from domain.rules.roles import Role

__all__ = ["People", "ServedLedger", "benchmark_policy", "served_ledger"]

ADMIN = "admin"
PEOPLE: dict[str, Role] = {
    "bench-owner": Role.MODEL_OWNER,
    "bench-developer": Role.MODEL_DEVELOPER,
    "bench-validator": Role.VALIDATOR,
    "bench-approver": Role.APPROVER,
    "bench-deployer": Role.DEPLOYER,
}
SIGNERS = ("bench-validator", "bench-approver")
STARTUP_SECONDS = 300
"""How long the API server may take to answer ``/healthz`` (its imports are slow on a busy
machine)."""


@dataclass(frozen=True)
class People:
    """Each person's API token, and the signers' personal keys (held by the clients)."""

    tokens: dict[str, str]
    keys: dict[str, PersonalKey]


@dataclass(frozen=True)
class ServedLedger:
    """The running API: its base URL, the people, one model id per client."""

    url: str
    people: People
    models: list[str]
    artifact: str
    """The digest of the model file every version records (stored, so a deployment inspects it)."""
    fallback_paths: list[str]
    """Paths served by the bench's labelled in-process fallback (the API had none yet)."""


def benchmark_policy() -> dict[str, Any]:
    """The default policy with every gate the domain lets a policy relax relaxed."""
    document = default_policy_document()
    document["version"] = "bench-permissive-1"
    document["approvals"] = {"low": 1, "medium": 1, "high": 1}
    document["gates"]["uat"]["requires_passed_validation"] = False
    document["gates"]["prod"]["blocking_finding_severities"] = ["critical"]
    return document


@contextmanager
def served_ledger(
    models: int, server_environment: dict[str, str] | None = None
) -> Iterator[ServedLedger]:
    """An initialised ledger with ``models`` models, served over HTTP until the block ends;
    ``server_environment`` adds variables to the server process's environment only."""
    with tempfile.TemporaryDirectory(prefix="govledger-bench-http-") as directory:
        home = Path(directory)
        environment = {
            **os.environ,
            "GOVLEDGER_HOME": str(home / "home"),
            "GOVLEDGER_DATABASE_URL": f"sqlite:///{home / 'ledger.db'}",
            "GOVLEDGER_ADMIN": ADMIN,
        }
        environment.pop("GOVLEDGER_KEY_PASSPHRASE", None)
        _govledger(["init"], environment)
        people, model_ids, artifact = _enrol(Settings(**_settings_of(environment)), models)
        port = _free_port()
        with _server(port, environment | (server_environment or {})) as url:
            yield ServedLedger(url, people, model_ids, artifact, _fallback_paths(url))


def _settings_of(environment: dict[str, str]) -> dict[str, Any]:
    return {
        "home": Path(environment["GOVLEDGER_HOME"]),
        "database_url": environment["GOVLEDGER_DATABASE_URL"],
        "admin": environment["GOVLEDGER_ADMIN"],
        "key_passphrase": None,
    }


def _govledger(arguments: list[str], environment: dict[str, str]) -> None:
    command = [sys.executable, "-c", "import sys; from api.cli import main; sys.exit(main())"]
    done = subprocess.run(
        [*command, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"govledger {' '.join(arguments)} failed: {done.stderr or done.stdout}")


def _enrol(settings: Settings, models: int) -> tuple[People, list[str], str]:
    ledger = open_ledger(settings, with_ml=True)
    try:
        application = ledger.application
        application.set_policy(actor=ADMIN, document=benchmark_policy())
        keys: dict[str, PersonalKey] = {}
        for name, role in PEOPLE.items():
            application.register_principal(actor=ADMIN, name=name, roles=[role])
        folder = settings.home / "people"
        folder.mkdir(mode=0o700)
        for name in SIGNERS:
            key = generate_personal_key(folder / f"{name}.pem", None)
            application.register_key(actor=ADMIN, name=name, public_key_pem=key.public_key_pem())
            keys[name] = key
        model_ids = [
            str(
                application.register_model(
                    actor="bench-owner",
                    name=f"credit-{number}",
                    purpose="benchmark",
                    intended_use="benchmark",
                    restrictions=[],
                    risk_tier="low",
                )
            )
            for number in range(models)
        ]
        store = TokenStore(ledger.database)
        expires = datetime.now(UTC) + timedelta(days=1)
        tokens = {
            name: store.issue(name, label="bench", expires_at=expires).secret for name in PEOPLE
        }
        assert application.artifacts is not None
        artifact = application.artifacts.put(demo_model().artifact)
    finally:
        ledger.close()
    return People(tokens, keys), model_ids, artifact


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _server(port: int, environment: dict[str, str]) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    log = Path(environment["GOVLEDGER_HOME"]) / "server.log"
    with log.open("w", encoding="utf-8") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.http_commands_server", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"the API server exited with {server.returncode}: {output}")
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the API server at {url} did not answer /healthz within {STARTUP_SECONDS} s"
    )


def _fallback_paths(url: str) -> list[str]:
    paths: dict[str, dict[str, Any]] = httpx2.get(f"{url}/openapi.json", timeout=10).json()["paths"]
    return sorted(
        path
        for path, operations in paths.items()
        if any("bench fallback" in operation.get("tags", []) for operation in operations.values())
    )
