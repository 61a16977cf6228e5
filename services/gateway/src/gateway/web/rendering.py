"""Server-rendered pages: the Jinja2 environment, formatting helpers and the page response."""

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from gateway.auth.service import Caseworker
from gateway.errors import request_language
from gateway.i18n import status_text, translate, translator

HERE = Path(__file__).parent
STATIC = HERE / "static"
TIMEZONE = ZoneInfo("Europe/Stockholm")

# Pages hold personal data: never cached, never framed, no scripts or styles from elsewhere.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def local_time(value: str | datetime | None) -> str:
    """`YYYY-MM-DD HH:MM` in Swedish time, as the caseworker guide shows dates."""
    if value is None or value == "":
        return ""
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    if stamp.tzinfo is None:
        return stamp.strftime("%Y-%m-%d %H:%M")
    return stamp.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def submitter_text(submitter: dict[str, Any] | None, lang: str) -> str:
    """Personnummer or account, then name; "Anonym" for anonymous submitters."""
    submitter = submitter or {}
    if submitter.get("kind") == "anonymous":
        return translate("Anonym", lang)
    parts = [
        submitter.get("personal_number") or submitter.get("account"),
        submitter.get("name"),
    ]
    return " ".join(p for p in parts if p) or translate("Anonym", lang)


def form_value(value: Any, lang: str) -> str:
    """A submitted form value as text."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return translate("Ja" if value else "Nej", lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def language_links(request: Request, lang: str) -> list[dict[str, Any]]:
    """Links that show the current page in each language (the choice is kept in a cookie)."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    links = []
    for code, label in (("sv", "Svenska"), ("en", "English")):
        query = urlencode({**params, "lang": code})
        links.append(
            {
                "code": code,
                "label": label,
                "href": f"{request.url.path}?{query}",
                "current": code == lang,
            }
        )
    return links


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    caseworker: Caseworker | None = None,
    status_code: int = 200,
) -> Response:
    """A page in the caller's language with the security headers every page has."""
    lang = request_language(request)
    values: dict[str, Any] = {
        "lang": lang,
        "t": translator(lang),
        "caseworker": caseworker,
        "csrf_token": caseworker.csrf_token if caseworker else None,
        "language_links": language_links(request, lang),
        "local_time": local_time,
        "status_label": lambda code: status_text(code, lang),
        "submitter_text": lambda submitter: submitter_text(submitter, lang),
        "form_value": lambda value: form_value(value, lang),
        "nav_current": None,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


async def error_page(request: Request, status_code: int, message: str) -> Response:
    """The page of an error outside a signed-in page (unknown address, bad form)."""
    return render(request, "error.html", {"message": message}, status_code=status_code)
