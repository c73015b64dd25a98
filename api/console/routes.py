"""Console pages: sign in with a token, the inventory, a model's page, sign out.

Every page but the sign-in form needs the console cookie (else a redirect to the form), shows
the log size and root it reflects, the verified badge of the latest checkpoint and an as-of
picker (``?as_of=`` a log size or an RFC 3339 time). A bad ``as_of`` or an unknown model is a
page saying what to fix, with its 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.console.badge import BadgeCache
from api.console.pages import inventory_page, model_page
from api.console.session import COOKIE, LoginRefusedError, sign_in, signed_in
from api.http.auth import Caller
from api.http.problems import ERROR_STATUS
from api.http.services import services

__all__ = ["router"]

_HERE = Path(__file__).parent
_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
_MAX_FORM_BYTES = 4096
_MAX_AS_OF = 64
_templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)
_badges = BadgeCache()

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    response = _templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _status_of(error: Exception) -> int | None:
    for kind, status, _ in ERROR_STATUS:
        if isinstance(error, kind):
            return status if 400 <= status < 500 else None
    return None


def _read(
    request: Request, template: str, build: Callable[[Caller, str | None], dict[str, Any]]
) -> Response:
    caller = signed_in(request)
    if caller is None:
        return RedirectResponse(f"{request.url_for('login_form').path}", status_code=303)
    as_of = request.query_params.get("as_of") or None
    found = services(request)
    base = {
        "caller": caller,
        "as_of": as_of or "",
        "badge": _badges.badge(found.ledger),
        "path": request.url.path,
    }
    if as_of is not None and len(as_of) > _MAX_AS_OF:
        message = f"as_of is {len(as_of)} characters: give a log size or an RFC 3339 time"
        return _page(request, "error.html", {**base, "message": message}, 422)
    try:
        context = build(caller, as_of)
    except Exception as exc:
        status = _status_of(exc)
        if status is None:
            raise
        return _page(request, "error.html", {**base, "message": str(exc)}, status)
    return _page(request, template, {**base, **context})


@router.get("/login", name="login_form")
def login_form(request: Request) -> Response:
    """The sign-in form: paste a token."""
    return _page(request, "login.html", {"message": None})


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the pasted token; a reader is signed in with an HttpOnly, SameSite=Strict cookie."""
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        return _page(request, "login.html", {"message": "the form is too large"}, 413)
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    secret = (fields.get("token") or [""])[0]
    try:
        sign_in(request, secret)
    except LoginRefusedError as exc:
        return _page(request, "login.html", {"message": str(exc)}, 401)
    response = RedirectResponse(request.url_for("console_inventory").path, status_code=303)
    response.set_cookie(
        COOKIE,
        secret.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
    )
    return response


@router.post("/logout")
@router.get("/logout")
def logout(request: Request) -> Response:
    """Forget the cookie and go back to the sign-in form."""
    response = RedirectResponse(request.url_for("login_form").path, status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/", name="console_inventory")
def inventory(request: Request) -> Response:
    """The model inventory."""
    ledger = services(request).ledger
    return _read(
        request, "inventory.html", lambda _, as_of: {"answer": inventory_page(ledger, as_of)}
    )


@router.get("/models/{name}", name="console_model")
def model(request: Request, name: str) -> Response:
    """A model's lineage graph, timeline, approvals, findings, why and monitoring charts."""
    ledger = services(request).ledger
    return _read(
        request,
        "model.html",
        lambda _, as_of: {"answer": model_page(ledger, as_of, name[:200]), "model": name},
    )


@router.get("/verify", name="console_verify")
def verify(request: Request) -> Response:
    """The latest checkpoint and the result of verifying it."""
    return _read(request, "verify.html", lambda _, __: {})


@router.get("/static/console.css", name="console_css")
def stylesheet() -> Response:
    """The console's only stylesheet."""
    css = (_HERE / "static" / "console.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})
