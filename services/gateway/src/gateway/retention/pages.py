"""Gallring: the administrators' page of retention runs, with "Provkör" and "Kör nu"."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.auth.deps import WebCaseworker, csrf_matches
from gateway.auth.service import Caseworker
from gateway.case_actions.endpoints import posted_form
from gateway.errors import AppError, error_message, request_language
from gateway.retention import client
from gateway.retention.endpoints import ADMIN_REQUIRED, RUN_TIMEOUT, is_admin
from gateway.web.admin import BASE, SECTIONS
from gateway.web.rendering import render

router = APIRouter(include_in_schema=False)

PAGE = f"{BASE}/gallring"
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."
RUN_STATUS = {"running": "Pågår", "succeeded": "Klar", "failed": "Misslyckad"}


def _error(request: Request, caseworker: Caseworker, exc: StarletteHTTPException) -> Response:
    return render(
        request,
        "error.html",
        {"message": error_message(exc, request_language(request))},
        caseworker=caseworker,
        status_code=exc.status_code,
    )


@router.get(PAGE)
async def retention_page(request: Request, caseworker: WebCaseworker) -> Response:
    """The run log: newest first, each run with its rules and counts."""
    if not is_admin(caseworker.actor):
        return _error(request, caseworker, AppError(403, ADMIN_REQUIRED))
    try:
        runs: list[dict[str, Any]] = await client.call(request, "GET", "/internal/runs")
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return render(
        request,
        "retention_runs.html",
        {
            "runs": runs,
            "run_status": RUN_STATUS,
            "done": request.query_params.get("klar"),
            # The administration's navigation (web/admin.py), with this page as its section.
            "sections": SECTIONS,
            "section": "gallring",
            "base": BASE,
            "errors": [],
            "notice": None,
            "nav_current": "administration",
        },
        caseworker=caseworker,
    )


@router.post(PAGE)
async def start_run(request: Request, caseworker: WebCaseworker) -> Response:
    """Start a run from the page (dry run unless "Kör gallring nu" was pressed)."""
    if not is_admin(caseworker.actor):
        return _error(request, caseworker, AppError(403, ADMIN_REQUIRED))
    async with posted_form(request) as form:
        token = str(form.get("csrf_token") or "")
        dry_run = form.get("mode") != "real"
    if not csrf_matches(token, caseworker.csrf_token):
        return _error(request, caseworker, AppError(403, INVALID_FORM))
    try:
        await client.call(
            request,
            "POST",
            "/internal/runs",
            json_body={"dry_run": dry_run, "requested_by": caseworker.actor.username},
            timeout=RUN_TIMEOUT,
        )
    except StarletteHTTPException as exc:
        return _error(request, caseworker, exc)
    return RedirectResponse(f"{PAGE}?klar=1", status_code=303)
