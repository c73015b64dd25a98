"""The whole governed life of a model at the command line, on SQLite and PostgreSQL.

Every step is a `govledger` subcommand generated from the command registry (the same one the
HTTP API serves), run as a user runs it: principals and their public keys, the policy, the German
credit data stored and recorded, the model registered and trained, a validation assessed and
concluded with the validator's own signature (`govledger sign`), a failed version mitigated, two
signed approvals, dev -> uat (with UAT evidence) -> prod, rows scored, and the auditor's `why`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.credit import german
from adapters.credit.generator import derived_sample, rows
from api import lifecycle
from api.cast import Cast
from api.demo import demo_policy
from tests.e2e.conftest import Cli, assert_one_line_error

CAST = Cast()
ADMIN = "admin"
AUDITOR = "aud-auditor"


class CommandLine:
    """The user's `govledger` and the folder their files go in."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.folder = cli.cwd

    def json(self, *args: str) -> Any:
        """Run a registry command with ``--json``; its answer."""
        return json.loads(self.cli.ok(*args, "--json").stdout)

    def file(self, name: str, content: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(content)
        return path

    def store(self, name: str, content: bytes) -> str:
        """Store bytes in the artifact store; their digest."""
        digest: str = self.json("store-artifact", str(self.file(name, content)))["digest"]
        return digest

    def signed(self, who: str, **decision: Any) -> list[str]:
        """``who`` signs a decision with `govledger sign`; the signature options of a command."""
        outcome = self.cli.run(
            *("sign", "--key", str(self.folder / f"{who}.key"), "--signer", who),
            *("--action", decision["action"], "--subject", decision["subject"]),
            *("--artifact-digest", decision["artifact_digest"]),
            *("--outcome", decision["outcome"]),
            *(a for d in decision["evidence_digests"] for a in ("--evidence-digest", d)),
        )
        assert outcome.status == 0, outcome
        printed = json.loads(outcome.stdout)
        return [
            f"--signature={printed['signature']}",
            f"--keyid={printed['keyid']}",
            f"--signed-at={printed['signed_at']}",
        ]

    def version(self, version_id: str) -> dict[str, Any]:
        """The version's state as `govledger model` answers it."""
        model = self.json("model", lifecycle.MODEL_NAME)
        found: dict[str, Any] = next(v for v in model["versions"] if v["id"] == version_id)
        return found


def enrol(line: CommandLine) -> None:
    for name, roles in {**CAST.roles(), AUDITOR: ("auditor",)}.items():
        options = [f"--roles={role}" for role in roles]
        line.json("register-principal", "--actor", ADMIN, "--name", name, *options)
    for who in (CAST.validator, *CAST.approvers):
        key = line.folder / f"{who}.key"
        created = line.cli.run("personal-key", "--out", str(key))
        assert created.status == 0, created
        pem = Path(f"{key}.pub").read_text()
        line.json("register-key", "--actor", ADMIN, "--name", who, f"--public-key-pem={pem}")
    policy = line.file("policy.json", json.dumps(demo_policy()).encode())
    line.json("set-policy", "--actor", ADMIN, str(policy))


def validate(line: CommandLine, version_id: str, artifact_digest: str) -> str:
    validator = CAST.validator
    line.json("start-validation", "--actor", validator, "--version-id", version_id)
    assessed = line.json(
        "assess-model-version", "--actor", validator, "--version-id", version_id, "--seed", "7"
    )
    outcome = "failed" if assessed["breaches"] else "passed"
    evidence = [assessed["report_digest"]]
    signature = line.signed(
        validator,
        action="conclude_validation",
        subject=version_id,
        artifact_digest=artifact_digest,
        evidence_digests=evidence,
        outcome=outcome,
    )
    line.json(
        *("conclude-validation", "--actor", validator, "--version-id", version_id),
        *("--outcome", outcome, "--evidence-digests", evidence[0], *signature),
    )
    return outcome


def deploy(line: CommandLine, version_id: str, environment: str, digest: str) -> None:
    line.json(
        *("deploy", "--actor", CAST.deployer, "--version-id", version_id),
        *("--environment", environment, "--artifact-digest", digest),
    )


class LifecycleOverCli:
    @pytest.fixture
    def line(self, database_url: str, tmp_path: Path) -> CommandLine:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        line = CommandLine(cli)
        enrol(line)
        return line

    def test_a_model_is_trained_validated_approved_deployed_and_scored(
        self, line: CommandLine
    ) -> None:
        content = german.german_credit_csv()
        digest = line.store("german.csv", content)
        dataset = line.json(
            *("register-dataset", "--actor", CAST.steward, "--name", lifecycle.DATASET_NAME),
            *("--description", german.DESCRIPTION),
        )
        frame = german.table_schema().read_csv(content)
        version = line.json(
            *("add-dataset-version", "--actor", CAST.steward, "--dataset-id", dataset["id"]),
            *("--digest", digest, "--row-count", str(len(frame))),
            *("--columns", json.dumps(list(frame.columns))),
            *("--protected-attributes", json.dumps(list(german.PROTECTED_ATTRIBUTES))),
            *("--sensitivity", "confidential", "--license", german.LICENSE),
            *("--schema", json.dumps(german.SCHEMA["columns"])),
        )
        model = line.json(
            *("register-model", "--actor", CAST.owner, "--name", lifecycle.MODEL_NAME),
            *("--purpose", "Decide consumer credit applications"),
            *("--intended-use", "Retail credit decisions under human review of refusals"),
            *("--restrictions", "not for applicants under 18", "--risk-tier", "high"),
        )
        reference = {"dataset_id": dataset["id"], "version": version["version"]}
        trained = line.json(
            *("train-model-version", "--actor", CAST.developer, "--model-id", model["id"]),
            *("--dataset-refs", json.dumps(reference), "--code-version", "e2e"),
            *("--training-spec", json.dumps(lifecycle.credit_training_spec())),
        )["id"]
        candidate = trained
        if validate(line, trained, line.version(trained)["artifact_digest"]) == "failed":
            candidate = line.json(
                *("mitigate-model-version", "--actor", CAST.developer, "--version-id", trained),
                *("--sensitive-attribute", "age_band", "--method", "threshold_optimizer"),
                *("--seed", "42", "--code-version", "e2e"),
            )["id"]
            artifact = line.version(candidate)["artifact_digest"]
            assert validate(line, candidate, artifact) == "passed"
        released = line.version(candidate)
        artifact = released["artifact_digest"]
        deploy(line, candidate, "dev", artifact)
        deploy(line, candidate, "uat", artifact)

        early = line.cli.run(
            *("deploy", "--actor", CAST.deployer, "--version-id", candidate),
            *("--environment", "prod", "--artifact-digest", artifact),
        )
        assert_one_line_error(early, status=1)

        evidence = released["validation"]["evidence"]
        for approver in CAST.approvers:
            signature = line.signed(
                approver,
                action="approve",
                subject=candidate,
                artifact_digest=artifact,
                evidence_digests=evidence,
                outcome="granted",
            )
            line.json(
                *("grant-approval", "--actor", approver, "--version-id", candidate),
                *("--artifact-digest", artifact, "--evidence-digests", evidence[0], *signature),
            )
        for kind, metrics in (
            ("integration", {"mismatches": 0.0, "rows": 300.0}),
            ("performance", {"p99_ms": 5.0, "throughput_per_s": 500.0}),
        ):
            report = line.store(f"{kind}.txt", kind.encode())
            line.json(
                *("record-uat-evidence", "--actor", CAST.deployer, "--version-id", candidate),
                *("--kind", kind, "--metrics", json.dumps(metrics), "--evidence-digest", report),
            )
        deploy(line, candidate, "prod", artifact)
        assert sorted(line.version(candidate)["environments"]) == ["dev", "prod", "uat"]

        applicants = [
            {k: v for k, v in row.items() if k != german.TARGET}
            for row in rows(derived_sample(3, seed=3))
        ]
        batch = line.file("rows.json", json.dumps({"rows": applicants}).encode())
        scored = line.json(
            *("predict", "--actor", CAST.scoring, "--environment", "prod"),
            *("--model", lifecycle.MODEL_NAME, "--rows", f"@{batch}"),
        )
        assert len(scored["predictions"]) == len(applicants)

        why = line.json("why", lifecycle.MODEL_NAME)
        assert all(approver in json.dumps(why) for approver in CAST.approvers)
        assert line.cli.run("verify").status == 0


class OnSQLite:
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class OnPostgres:
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


class TestLifecycleOverCliOnSQLite(OnSQLite, LifecycleOverCli):
    pass


class TestLifecycleOverCliOnPostgres(OnPostgres, LifecycleOverCli):
    pass
