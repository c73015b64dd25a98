"""Every error the API answers: a status and a JSON body ``{"error": CODE, "detail": TEXT}``.

Each domain, read-side and API error class maps to exactly one status and code here; a request
that fails in a way not listed is a bug and answers 500 ``internal`` (logged, nothing leaked).
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ApiError
from domain import errors as domain
from projections import errors as read_side

__all__ = ["ERROR_STATUS", "HttpError", "error_body", "install_error_handlers"]

_LOG = logging.getLogger("govledger.http")

ERROR_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    # Most specific first: the first class an error is an instance of decides.
    (domain.SegregationOfDutiesError, 403, "segregation_of_duties"),
    (domain.NotAuthorizedError, 403, "not_authorized"),
    (domain.GateError, 409, "gate_not_passed"),
    (domain.InvalidStateError, 409, "invalid_state"),
    (domain.SignatureError, 422, "invalid_signature"),
    (domain.ArtifactError, 422, "invalid_artifact"),
    (domain.NotFoundError, 404, "not_found"),
    (domain.DuplicateError, 409, "duplicate"),
    (domain.InvalidArgumentError, 422, "invalid_argument"),
    (domain.NotConfiguredError, 503, "not_configured"),
    (domain.PortError, 502, "adapter_failed"),
    (domain.RuleError, 409, "rule_broken"),
    (read_side.NotFoundError, 404, "not_found"),
    (read_side.AsOfError, 422, "invalid_as_of"),
    (read_side.NotCaughtUpError, 503, "read_side_behind"),
    (read_side.ProjectionError, 500, "integrity_failure"),
    (ApiError, 422, "invalid_request"),
)


class HttpError(Exception):
    """Raised by the API's own checks: answered as ``status`` with ``code`` and ``detail``."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def error_body(code: str, detail: str) -> dict[str, str]:
    """The JSON body of every error answer."""
    return {"error": code, "detail": detail}


def _answer(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, detail), status_code=status, headers=headers)


def _validation_detail(exc: RequestValidationError) -> tuple[int, str, str]:
    problems = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return 400, "malformed_json", f"the body is not valid JSON: {error.get('msg')}"
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {error.get('msg')}")
    return 422, "invalid_request", "; ".join(problems) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    """Answer every known error as its status and ``{"error", "detail"}``."""

    @app.exception_handler(HttpError)
    async def _http_error(_: Request, exc: HttpError) -> JSONResponse:
        return _answer(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _answer(*_validation_detail(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return _answer(exc.status_code, codes.get(exc.status_code, "http_error"), detail)

    async def _known(_: Request, exc: Exception) -> JSONResponse:
        for kind, status, code in ERROR_STATUS:
            if isinstance(exc, kind):
                return _answer(status, code, " ".join(str(exc).splitlines()))
        raise exc  # pragma: no cover - only ERROR_STATUS classes are registered here

    for kind, _status, _code in ERROR_STATUS:
        app.add_exception_handler(kind, _known)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        _LOG.error(
            "unexpected error answering %s %s", request.method, request.url.path, exc_info=exc
        )
        return _answer(500, "internal", "the server failed; this is a bug, and it is logged")
