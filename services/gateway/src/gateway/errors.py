"""Errors as the caller expects them: JSON `{"detail"}` under /api, a page in the web UI.

Texts the gateway itself produces are written in Swedish (`AppError.message`) and translated
into the caller's language when the answer is made.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.i18n import LANG_COOKIE, negotiate, translate

API_PREFIX = "/api/"

ErrorPage = Callable[[Request, int, str], Awaitable[Response]]


class AppError(StarletteHTTPException):
    """An HTTP error whose detail is Swedish source text, translated for each caller."""

    def __init__(
        self,
        status_code: int,
        message: str,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(status_code, translate(message, "sv", **values), headers)
        self.message = message
        self.values = values


class LoginRequired(Exception):
    """A web page was asked for without a valid session; the browser goes to the login form."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


def request_language(request: Request) -> str:
    """The caller's language: `?lang=`, then the cookie; API callers may also ask with
    Accept-Language, while the web UI stays Swedish until the user switches it."""
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language") if is_api(request) else None,
    )


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_message(exc: StarletteHTTPException, lang: str) -> str:
    """The detail of an HTTP error in the caller's language."""
    if isinstance(exc, AppError):
        return translate(exc.message, lang, **exc.values)
    if exc.status_code == 404 and exc.detail == "Not Found":
        return translate("Sidan finns inte", lang)
    return exc.detail if isinstance(exc.detail, str) else str(exc.detail)


def _validation_summary(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    # Never echo the input back: it may be a password.
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    text = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:] or e['loc'])}: {e['msg']}" for e in errors
    )
    return text, errors


def install_error_handlers(app: FastAPI, error_page: ErrorPage) -> None:
    """Register the handlers that shape every error the gateway answers."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        lang = request_language(request)
        message = error_message(exc, lang)
        if is_api(request):
            return JSONResponse({"detail": message}, exc.status_code, headers=exc.headers)
        return await error_page(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        lang = request_language(request)
        text, errors = _validation_summary(exc)
        message = f"{translate('Ogiltig begäran', lang)}: {text}"
        if is_api(request):
            return JSONResponse({"detail": message, "errors": errors}, 422)
        return await error_page(request, 422, translate("Ogiltig begäran", lang))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        location = f"/logga-in?next={quote(target, safe='/')}"
        if exc.expired:
            location += "&expired=1"
        return RedirectResponse(location, status_code=303)
