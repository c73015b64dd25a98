"""Every API error is one status and ``{"error", "detail"}``; bodies over the cap get 413."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from api.http.body_limit import BodyLimit
from api.http.problems import ERROR_STATUS, HttpError, install_error_handlers
from domain import errors as domain
from projections import errors as read_side

LIMIT = 2048


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    count: int


def app_raising(error: Exception | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=LIMIT)

    @app.post("/things")
    def create(thing: Thing) -> dict[str, str]:
        if error is not None:
            raise error
        return {"name": thing.name}

    return app


def client(error: Exception | None = None) -> TestClient:
    return TestClient(app_raising(error), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (domain.SegregationOfDutiesError("same person"), 403, "segregation_of_duties"),
        (domain.NotAuthorizedError("no role"), 403, "not_authorized"),
        (domain.GateError("gate"), 409, "gate_not_passed"),
        (domain.InvalidStateError("state"), 409, "invalid_state"),
        (domain.SignatureError("bad signature"), 422, "invalid_signature"),
        (domain.NotFoundError("no such"), 404, "not_found"),
        (domain.DuplicateError("twice"), 409, "duplicate"),
        (domain.InvalidArgumentError("bad value"), 422, "invalid_argument"),
        (read_side.AsOfError("bad as_of"), 422, "invalid_as_of"),
        (read_side.NotFoundError("no model"), 404, "not_found"),
        (HttpError(401, "unauthenticated", "send a token"), 401, "unauthenticated"),
    ],
)
def test_each_error_is_its_status_and_code_with_the_message_as_detail(
    error: Exception, status: int, code: str
) -> None:
    answer = client(error).post("/things", json={"name": "a", "count": 1})

    assert answer.status_code == status
    assert answer.json() == {"error": code, "detail": str(error)}


def _subclasses(kind: type[Exception]) -> list[type[Exception]]:
    return [sub for direct in kind.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_every_domain_error_class_maps_to_a_status() -> None:
    mapped = tuple(kind for kind, _, _ in ERROR_STATUS)
    unmapped = [k for k in _subclasses(domain.DomainError) if not issubclass(k, mapped)]

    assert unmapped == []


def test_only_adapter_and_integrity_failures_are_5xx() -> None:
    server_side = {kind for kind, status, _ in ERROR_STATUS if status >= 500}

    assert server_side == {
        domain.NotConfiguredError,
        domain.PortError,
        read_side.NotCaughtUpError,
        read_side.ProjectionError,
    }


def test_a_multi_line_message_is_one_line_of_detail() -> None:
    answer = client(domain.InvalidArgumentError("first\nsecond")).post(
        "/things", json={"name": "a", "count": 1}
    )

    assert answer.json()["detail"] == "first second"


def test_malformed_json_is_400_saying_so() -> None:
    answer = client().post(
        "/things", content=b'{"name": ', headers={"content-type": "application/json"}
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "malformed_json"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"name": "a"}, "count: Field required"),
        ({"name": "a", "count": "many"}, "count: Input should be a valid integer"),
        ({"name": "a", "count": 1, "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_a_wrong_field_is_422_naming_it(body: dict[str, object], named: str) -> None:
    answer = client().post("/things", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"
    assert named in answer.json()["detail"]


def test_an_unknown_route_and_method_are_json_errors() -> None:
    assert client().get("/nowhere").json() == {"error": "not_found", "detail": "Not Found"}
    assert client().get("/things").json()["error"] == "method_not_allowed"


def test_an_unexpected_exception_is_500_without_its_message() -> None:
    answer = client(RuntimeError("secret internals")).post(
        "/things", json={"name": "a", "count": 1}
    )

    assert answer.status_code == 500
    assert answer.json()["error"] == "internal"
    assert "secret internals" not in answer.text


def test_a_body_announced_over_the_cap_is_413_unread() -> None:
    answer = client().post(
        "/things", content=b"x" * (LIMIT + 1), headers={"content-type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json()["error"] == "body_too_large"
    assert str(LIMIT) in answer.json()["detail"]


def test_a_chunked_body_over_the_cap_is_413_without_a_length_header() -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"x" * 1000

    answer = client().post(
        "/things", content=chunks(), headers={"content-type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json()["error"] == "body_too_large"


def test_a_body_under_the_cap_passes() -> None:
    answer = client().post("/things", json={"name": "a" * 1000, "count": 1})

    assert answer.status_code == 200
