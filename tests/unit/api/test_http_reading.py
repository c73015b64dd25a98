"""The shared pieces of the API's reads: paging bounds, ``as_of`` errors, JWKs of event keys."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import read_side
from api.http import reading
from api.http.ledger_keys import jwk_of
from api.http.problems import HttpError, install_error_handlers
from api.http.reading import MAX_LIMIT, Page
from ledger.keys.ed25519 import Signer, keyid_of
from projections.errors import AsOfError


def paging_client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/rows")
    def rows(page: Page) -> dict[str, int]:
        return {"limit": page.limit, "offset": page.offset}

    return TestClient(app)


def test_a_page_defaults_to_100_rows_from_the_first() -> None:
    assert paging_client().get("/rows").json() == {"limit": 100, "offset": 0}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("limit=0", "limit"),
        (f"limit={MAX_LIMIT + 1}", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        (f"offset={2**62 + 1}", "offset"),
    ],
)
def test_a_page_out_of_bounds_is_422_naming_the_parameter(query: str, named: str) -> None:
    answer = paging_client().get(f"/rows?{query}")

    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"
    assert named in answer.json()["detail"]


def test_the_largest_page_is_accepted() -> None:
    answer = paging_client().get(f"/rows?limit={MAX_LIMIT}&offset={2**62}")

    assert answer.json() == {"limit": MAX_LIMIT, "offset": 2**62}


class _Caught:
    def catch_up(self) -> int:
        return 0


def _answering(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def fail(*_: Any) -> dict[str, Any]:
        raise error

    monkeypatch.setattr(read_side, "projector", lambda _: _Caught())
    monkeypatch.setattr(read_side, "read_view", lambda _: None)
    monkeypatch.setattr(read_side, "cited_answer", fail)


def test_an_as_of_out_of_range_is_invalid_as_of_naming_the_query_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answering(monkeypatch, AsOfError("--as-of 99: the log has 12 entries; give 0..12"))

    with pytest.raises(HttpError) as raised:
        reading.cited(None, "99", lambda view, size: {})  # type: ignore[arg-type]

    assert (raised.value.status, raised.value.code) == (422, "invalid_as_of")
    assert raised.value.detail == "as_of 99: the log has 12 entries; give 0..12"


def test_an_argument_the_query_refuses_is_invalid_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answering(monkeypatch, ValueError("depth 0 is not a whole number from 1 to 20"))

    with pytest.raises(HttpError) as raised:
        reading.cited(None, None, lambda view, size: {})  # type: ignore[arg-type]

    assert (raised.value.status, raised.value.code) == (422, "invalid_request")
    assert "depth 0" in raised.value.detail


def test_a_jwk_is_the_rfc_8037_form_of_the_key_named_by_its_key_id() -> None:
    public_key = Signer.generate().public_key
    jwk = jwk_of(public_key)
    padded = jwk["x"] + "=" * (-len(jwk["x"]) % 4)

    assert {k: jwk[k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
    }
    assert "=" not in jwk["x"]
    restored = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(padded))
    assert restored.public_bytes_raw() == public_key.public_bytes_raw()
    assert jwk["kid"] == keyid_of(public_key)
