"""Our side's operations over HTTP: one governed release of a model version, five commands.

Record a version trained elsewhere (``POST /v1/models/versions``), start and conclude its
validation (``/v1/validations/start``, ``/v1/validations/conclude``: the domain's prerequisite
of an approval), approve its artifact (``POST /v1/approvals``) and deploy it to dev
(``POST /v1/deployments``). The validator's and the approver's signatures are made here, on the
client, with their personal keys over the canonical statement; the server verifies them, signs
each event, chains it and appends it to the log before it answers.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import UTC, datetime
from typing import Any

import httpx2

from bench.http_commands_ledger import ServedLedger
from bench.http_commands_load import Operation
from domain.rules.statements import Statement

__all__ = ["Release"]

EVIDENCE = "sha256:" + hashlib.sha256(b"benchmark validation report").hexdigest()


class Release:
    """Client-side operations against a served ledger, one HTTP connection per thread."""

    def __init__(self, served: ServedLedger) -> None:
        self._served = served
        self._local = threading.local()
        self._clients: list[httpx2.Client] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every thread's HTTP client."""
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def iteration(self, client: int) -> list[Operation]:
        """The five commands of one release on client ``client``'s model."""
        version: dict[str, str] = {"artifact": self._served.artifact}

        def record() -> None:
            version["id"] = self.record_version(client, version["artifact"])

        def start() -> None:
            self._post("bench-validator", "/v1/validations/start", {"version_id": version["id"]})

        def conclude() -> None:
            body = self._signed("conclude_validation", "passed", "bench-validator", version)
            self._post("bench-validator", "/v1/validations/conclude", body)

        def approve() -> None:
            body = self._signed("approve", "granted", "bench-approver", version)
            del body["outcome"]
            body["artifact_digest"] = version["artifact"]
            self._post("bench-approver", "/v1/approvals", body)

        def deploy() -> None:
            body = {"version_id": version["id"], "environment": "dev"}
            body["artifact_digest"] = version["artifact"]
            self._post("bench-deployer", "/v1/deployments", body)

        return [
            Operation("record-model-version", record),
            Operation("start-validation", start),
            Operation("conclude-validation", conclude),
            Operation("grant-approval", approve),
            Operation("deploy", deploy),
        ]

    def record_version(self, client: int, artifact: str) -> str:
        """Record a version of client ``client``'s model; its id."""
        body = {
            "model_id": self._served.models[client],
            "dataset_versions": ["credit-applications@1"],
            "training_spec": {"algorithm": "logistic_regression", "seed": client},
            "code_version": "bench",
            "environment": {"python": "3.11"},
            "artifact_digest": artifact,
            "metrics": {"auc": 0.8},
        }
        answer: str = self._post("bench-developer", "/v1/models/versions", body)["id"]
        return answer

    def _signed(
        self, action: str, outcome: str, signer: str, version: dict[str, str]
    ) -> dict[str, Any]:
        statement = Statement(
            action=action,
            subject=version["id"],
            artifact_digest=version["artifact"],
            evidence_digests=(EVIDENCE,),
            signer=signer,
            signed_at=datetime.now(UTC).isoformat(),
            outcome=outcome,
        )
        key = self._served.people.keys[signer]
        return {
            "version_id": version["id"],
            "outcome": outcome,
            "evidence_digests": [EVIDENCE],
            "signature": base64.b64encode(key.sign(statement)).decode(),
            "keyid": key.keyid,
            "signed_at": statement.signed_at,
        }

    def _post(self, person: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        client: httpx2.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx2.Client(base_url=self._served.url, timeout=60)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        token = self._served.people.tokens[person]
        answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code >= 300:
            raise RuntimeError(f"{answer.status_code} {answer.text[:200]}")
        found: dict[str, Any] = answer.json()
        return found
