"""The part-1 commands over HTTP, on both engines: each one with a role it admits changes the
ledger; a caller without one gets 403 and its refusal recorded; bad bodies get 400 or 422 naming
the field; unknown ids 404; OpenAPI documents every command of the registry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from adapters.artifacts.file_store import FileArtifactStore
from adapters.credit import german
from api.composition import Ledger, open_ledger
from api.database import Database
from api.lifecycle import credit_training_spec
from api.registry.catalog import COMMANDS, spec_named
from api.settings import Settings
from domain.aggregates.dataset import Dataset
from domain.aggregates.model import Model
from domain.rules.policy import default_policy_document
from domain.rules.roles import Role
from tests.integration.http_client import ApiClient, api_client, principal_of
from tests.unit.fakes import topics

DIGEST = "sha256:" + "ab" * 32
UNKNOWN = str(uuid.UUID(int=7))


def public_key_pem() -> str:
    """A fresh personal Ed25519 public key, PEM."""
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def record_body(model_id: str) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "dataset_versions": ["german-credit v1"],
        "training_spec": {"seed": 7},
        "code_version": "abc123",
        "environment": {"python": "3.11"},
        "artifact_digest": DIGEST,
        "metrics": {"auc": 0.75},
    }


VALID_BODIES: dict[str, dict[str, Any]] = {
    "register-principal": {"name": "ann", "roles": ["model_owner"]},
    "grant-role": {"name": "ann", "role": "validator"},
    "revoke-role": {"name": "ann", "role": "validator"},
    "register-key": {"name": "ann", "public_key_pem": "PEM"},
    "revoke-key": {"name": "ann", "keyid": DIGEST},
    "set-policy": {"document": {"version": "x"}},
    "register-dataset": {"name": "credit", "description": "applications"},
    "add-dataset-version": {
        "dataset_id": UNKNOWN,
        "digest": DIGEST,
        "row_count": 10,
        "columns": ["age"],
        "sensitivity": "internal",
    },
    "register-model": {
        "name": "m",
        "purpose": "p",
        "intended_use": "u",
        "risk_tier": "low",
    },
    "record-model-version": record_body(UNKNOWN),
    "train-model-version": {
        "model_id": UNKNOWN,
        "dataset_refs": [{"dataset_id": UNKNOWN, "version": 1}],
        "training_spec": credit_training_spec(),
        "code_version": "abc123",
    },
}
"""A well-formed body of each part-1 command (ids naming nothing)."""

ADMITTED: dict[str, Role] = {
    **dict.fromkeys(
        ["register-principal", "grant-role", "revoke-role", "register-key", "revoke-key"],
        Role.ADMIN,
    ),
    "set-policy": Role.ADMIN,
    "register-dataset": Role.DATA_STEWARD,
    "add-dataset-version": Role.DATA_STEWARD,
    "register-model": Role.MODEL_OWNER,
    "record-model-version": Role.MODEL_DEVELOPER,
    "train-model-version": Role.MODEL_DEVELOPER,
}


class HttpCommandsContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def ledger(self, settings: Settings, database: Database) -> Iterator[Ledger]:
        opened = open_ledger(settings, with_ml=True)
        yield opened
        opened.close()

    @pytest.fixture
    def api(self, ledger: Ledger) -> Iterator[ApiClient]:
        with api_client(ledger) as api:
            yield api

    def post(self, api: ApiClient, name: str, body: object, role: Role) -> tuple[int, Any]:
        reply = api.client.post("/v1" + spec_named(name).path, json=body, headers=api.headers(role))
        return reply.status_code, reply.json()

    def test_the_admin_manages_a_principal_its_roles_and_keys(
        self, api: ApiClient, ledger: Ledger
    ) -> None:
        app = ledger.application

        status, created = self.post(
            api, "register-principal", {"name": "ann", "roles": ["model_owner"]}, Role.ADMIN
        )
        assert (status, created["id"]) == (201, str(app.get_principal("ann").id))
        assert self.post(api, "grant-role", {"name": "ann", "role": "validator"}, Role.ADMIN) == (
            200,
            {},
        )
        assert app.get_principal("ann").roles == {Role.MODEL_OWNER, Role.VALIDATOR}
        revoked_role = {"name": "ann", "role": "model_owner"}
        assert self.post(api, "revoke-role", revoked_role, Role.ADMIN) == (200, {})
        assert app.get_principal("ann").roles == {Role.VALIDATOR}

        pem = public_key_pem()
        status, key = self.post(
            api, "register-key", {"name": "ann", "public_key_pem": pem}, Role.ADMIN
        )
        assert status == 201
        assert app.get_principal("ann").keys == {key["keyid"]: pem}
        revoked = {"name": "ann", "keyid": key["keyid"]}
        assert self.post(api, "revoke-key", revoked, Role.ADMIN) == (200, {})
        assert app.get_principal("ann").revoked_keys == {key["keyid"]}

        status, again = self.post(api, "revoke-key", revoked, Role.ADMIN)
        assert (status, again["error"]) == (409, "invalid_state")

    def test_the_admin_puts_a_policy_in_force(self, api: ApiClient, ledger: Ledger) -> None:
        document = default_policy_document()
        document["version"] = "bank-2026"

        status, policy = self.post(api, "set-policy", {"document": document}, Role.ADMIN)

        assert status == 200
        in_force = ledger.application.current_policy()
        assert policy == {"version": "bank-2026", "digest": in_force.digest}
        assert in_force.version == "bank-2026"

    def test_a_policy_breaking_the_schema_is_422_naming_the_path_and_records_nothing(
        self, api: ApiClient, ledger: Ledger
    ) -> None:
        document = default_policy_document()
        document["approvals"]["high"] = 0
        before = topics(ledger.application)

        status, problem = self.post(api, "set-policy", {"document": document}, Role.ADMIN)

        assert (status, problem["error"]) == (422, "invalid_request")
        assert "approvals.high" in problem["detail"]
        assert topics(ledger.application) == before

    def test_data_and_models_are_registered_recorded_and_trained(
        self, api: ApiClient, ledger: Ledger, settings: Settings
    ) -> None:
        app = ledger.application
        content = german.german_credit_csv()
        digest = FileArtifactStore.in_home(settings.home).put(content)
        frame = german.table_schema().read_csv(content)

        status, dataset = self.post(
            api,
            "register-dataset",
            {"name": "credit", "description": "applications"},
            Role.DATA_STEWARD,
        )
        assert (status, dataset["id"]) == (201, str(Dataset.create_id("credit")))
        version = {
            "dataset_id": dataset["id"],
            "digest": digest,
            "row_count": len(frame),
            "columns": list(frame.columns),
            "protected_attributes": list(german.PROTECTED_ATTRIBUTES),
            "sensitivity": "confidential",
            "license": german.LICENSE,
            "schema": german.SCHEMA["columns"],
        }
        assert self.post(api, "add-dataset-version", version, Role.DATA_STEWARD) == (
            201,
            {"version": 1},
        )
        assert app.get_dataset(uuid.UUID(dataset["id"])).versions[0].digest == digest

        model = {**VALID_BODIES["register-model"], "owner": principal_of(Role.MODEL_OWNER)}
        status, created = self.post(api, "register-model", model, Role.MODEL_OWNER)
        assert (status, created["id"]) == (201, str(Model.create_id("m")))
        assert app.get_model(Model.create_id("m")).risk_tier == "low"

        status, recorded = self.post(
            api, "record-model-version", record_body(created["id"]), Role.MODEL_DEVELOPER
        )
        assert status == 201
        assert app.get_model_version(uuid.UUID(recorded["id"])).artifact_digest == DIGEST

        training = {
            "model_id": created["id"],
            "dataset_refs": [{"dataset_id": dataset["id"], "version": 1}],
            "training_spec": credit_training_spec(),
            "code_version": "abc123",
            "derived_from": recorded["id"],
        }
        status, trained = self.post(api, "train-model-version", training, Role.MODEL_DEVELOPER)
        assert status == 201, trained
        version_2 = app.get_model_version(uuid.UUID(trained["id"]))
        assert (version_2.number, version_2.derived_from) == (2, recorded["id"])
        assert version_2.dataset_versions[0]["digest"] == digest

    def test_a_role_the_command_does_not_admit_is_403_and_recorded(
        self, api: ApiClient, ledger: Ledger
    ) -> None:
        for name, body in VALID_BODIES.items():
            before = topics(ledger.application)

            status, problem = self.post(api, name, body, Role.AUDITOR)

            assert (status, problem["error"]) == (403, "not_authorized"), name
            assert principal_of(Role.AUDITOR) in problem["detail"], name
            assert topics(ledger.application) == [*before, "CommandRefused"], name

    def test_malformed_json_is_400(self, api: ApiClient) -> None:
        for name, role in ADMITTED.items():
            headers = {**api.headers(role), "Content-Type": "application/json"}
            path = "/v1" + spec_named(name).path

            reply = api.client.post(path, content=b'{"name":', headers=headers)

            assert (reply.status_code, reply.json()["error"]) == (400, "malformed_json"), name

    def test_a_missing_field_and_an_extra_field_are_422_naming_them(
        self, api: ApiClient, ledger: Ledger
    ) -> None:
        before = topics(ledger.application)
        for name, valid in VALID_BODIES.items():
            body = dict(valid)
            first, *_ = body
            del body[first]
            body["colour"] = "blue"

            status, problem = self.post(api, name, body, ADMITTED[name])

            assert (status, problem["error"]) == (422, "invalid_request"), name
            assert f"{first}: Field required" in problem["detail"], name
            assert "colour: Extra inputs are not permitted" in problem["detail"], name
        assert topics(ledger.application) == before

    def test_a_value_of_the_wrong_type_or_shape_is_422_naming_the_field(
        self, api: ApiClient
    ) -> None:
        for name, field, value in [
            ("register-principal", "roles", ["wizard"]),
            ("add-dataset-version", "row_count", "many"),
            ("add-dataset-version", "digest", "md5:abc"),
            ("register-model", "risk_tier", "extreme"),
            ("register-dataset", "name", " padded "),
            ("record-model-version", "model_id", "not-a-uuid"),
            ("record-model-version", "metrics", {"auc": "high"}),
            ("train-model-version", "dataset_refs", ["no-version"]),
        ]:
            body = {**VALID_BODIES[name], field: value}

            status, problem = self.post(api, name, body, ADMITTED[name])

            assert (status, problem["error"]) == (422, "invalid_request"), name
            assert problem["detail"].startswith(field), problem

    def test_an_unknown_id_is_404_and_the_refusal_recorded(
        self, api: ApiClient, ledger: Ledger
    ) -> None:
        for name, detail in [
            ("grant-role", "no principal named 'ann'"),
            ("add-dataset-version", f"no dataset with id {UNKNOWN}"),
            ("record-model-version", f"no model with id {UNKNOWN}"),
            ("train-model-version", f"no dataset with id {UNKNOWN}"),
        ]:
            before = topics(ledger.application)

            status, problem = self.post(api, name, VALID_BODIES[name], ADMITTED[name])

            assert (status, problem["error"]) == (404, "not_found"), name
            assert detail in problem["detail"], name
            assert topics(ledger.application) == [*before, "CommandRefused"], name

    def test_openapi_lists_every_command_with_its_request_roles_and_errors(
        self, api: ApiClient
    ) -> None:
        document = api.client.get("/openapi.json").json()

        for spec in COMMANDS:
            operation = document["paths"]["/v1" + spec.path]["post"]
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{spec.request.__name__}"}, spec.name
            assert operation["operationId"] == spec.name
            assert operation["tags"] == [spec.resource]
            assert operation["x-roles"] == sorted(spec.roles)
            assert {"401", "403", "404", "409", "422"} <= set(operation["responses"])
            assert str(spec.status_code) in operation["responses"]
        assert api.client.get("/docs").status_code == 200


class TestHttpCommandsOnSQLite(HttpCommandsContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestHttpCommandsOnPostgres(HttpCommandsContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
