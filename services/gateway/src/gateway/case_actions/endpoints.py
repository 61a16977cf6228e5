"""The integration API's case actions (SPEC §4): assign, update, reference, close, switch-user,
acknowledge, the assignable handlers, and attachment downloads.

Each action answers the changed case (as `GET /api/v1/cases/{id}`) plus `notified`, the
addresses and numbers the submitter is notified at. Refusals are `{"detail"}` in the caller's
language: 404 outside the caller's scope, 403 for a role that may not act, 409 for an archived
case or a state the action does not apply to, 413/415/422 for files and fields.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from gateway.auth.deps import CurrentCaseworker
from gateway.case_actions import service
from gateway.case_actions.schemas import (
    AcknowledgeBody,
    AssignBody,
    ClassifyBody,
    CloseBody,
    ReferenceBody,
    SwitchUserBody,
    UpdateBody,
)
from gateway.deps import CaseServiceDep, SessionDep, SettingsDep
from gateway.downloads import file_response
from gateway.errors import AppError

router = APIRouter(prefix="/api/v1/cases", tags=["case actions"])

CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
AttachmentId = Annotated[int, Path(ge=1, le=2**63 - 1)]

INVALID_REQUEST = "Ogiltig begäran"
# Form fields parsed at most; files beyond MAX_FILES are refused with a clear message.
FORM_LIMITS = {"max_files": 10, "max_fields": 50, "max_part_size": 64 * 1024}

_UPDATE_FORM_SCHEMA = {
    "type": "object",
    "required": ["title"],
    "properties": {
        **{
            name: field
            for name, field in UpdateBody.model_json_schema()["properties"].items()
            if name != "status"
        },
        "status": {
            "type": "string",
            "enum": ["in_progress", "decided", "closed", "unchanged"],
        },
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "maxItems": service.MAX_FILES,
        },
    },
}
UPDATE_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": UpdateBody.model_json_schema()},
            "multipart/form-data": {"schema": _UPDATE_FORM_SCHEMA},
        },
    }
}


def _invalid(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    )


@asynccontextmanager
async def posted_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, bounded (a malformed one is a 400); its files are closed afterwards."""
    try:
        form = await request.form(**FORM_LIMITS)
    except MultiPartException as exc:
        raise AppError(400, INVALID_REQUEST) from exc
    try:
        yield form
    finally:
        await form.close()


def uploads(form: FormData, name: str = "files") -> list[UploadFile]:
    return [v for v in form.getlist(name) if isinstance(v, UploadFile)]


def update_body(values: dict[str, Any]) -> UpdateBody:
    try:
        return UpdateBody.model_validate(values)
    except ValidationError as exc:
        raise _invalid(exc) from exc


@router.get("/{case_id}/handlers")
async def list_handlers(
    case_id: CaseId,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    session: SessionDep,
) -> list[dict[str, str]]:
    """Staff the case may be assigned to: receivers, handlers and administrators of its
    organization whose grant covers its case type."""
    return await service.handlers_for_case(session, case_service, caseworker.actor, case_id)


@router.post("/{case_id}/assign")
async def assign(
    case_id: CaseId,
    body: AssignBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    session: SessionDep,
) -> dict[str, Any]:
    """Fördela to `handler` (username) or `group`; the status becomes Fördelad."""
    return await service.assign(session, case_service, caseworker.actor, case_id, body)


@router.post("/{case_id}/update", openapi_extra=UPDATE_REQUEST_BODY)
async def update(
    case_id: CaseId,
    request: Request,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Uppdatera: `status` (in_progress, decided, closed; omitted or "unchanged" keeps it),
    `title`, `external_message`, `internal_message`, `notify`, and with multipart/form-data up
    to 3 `files`. A case without handler gets the caller as handler."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = settings.max_attachment_bytes
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with posted_form(request) as form:
            body = update_body({k: v for k, v in form.items() if isinstance(v, str)})
            return await service.update(
                case_service, caseworker.actor, case_id, body, uploads(form), limit
            )
    try:
        raw = await request.json()
    except ValueError as exc:
        raise AppError(400, INVALID_REQUEST) from exc
    if not isinstance(raw, dict):
        raise AppError(400, INVALID_REQUEST)
    body = update_body(raw)
    return await service.update(case_service, caseworker.actor, case_id, body, [], limit)


@router.patch("/{case_id}")
async def classify(
    case_id: CaseId,
    body: ClassifyBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> dict[str, Any]:
    """Prioritet (`low`, `medium` — every case's default —, `high`) and `category`."""
    return await case_service.call(
        "PATCH",
        f"/internal/cases/{case_id}",
        caseworker.actor,
        json_body=body.model_dump(exclude_none=True),
    )


@router.post("/{case_id}/reference")
async def reference(
    case_id: CaseId,
    body: ReferenceBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> dict[str, Any]:
    """Set or change the reference (an empty one removes it); an internal event."""
    return await service.set_reference(case_service, caseworker.actor, case_id, body)


@router.post("/{case_id}/close")
async def close(
    case_id: CaseId,
    body: CloseBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> dict[str, Any]:
    """Avsluta: status Avslutad; `title` defaults to "Ändrar status till Avslutad"."""
    return await service.close(case_service, caseworker.actor, case_id, body)


@router.post("/{case_id}/switch-user")
async def switch_user(
    case_id: CaseId,
    body: SwitchUserBody,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> dict[str, Any]:
    """Byt användare (cases submitted with a staden-konto only)."""
    return await service.switch_user(case_service, caseworker.actor, case_id, body)


@router.post("/{case_id}/acknowledge")
async def acknowledge(
    case_id: CaseId,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
    body: AcknowledgeBody | None = None,
) -> dict[str, Any]:
    """Kvittera the submitter's latest complement (status Kompletterad av användaren)."""
    return await service.acknowledge(
        case_service, caseworker.actor, case_id, body or AcknowledgeBody()
    )


@router.get(
    "/{case_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
)
async def download_attachment(
    case_id: CaseId,
    attachment_id: AttachmentId,
    caseworker: CurrentCaseworker,
    case_service: CaseServiceDep,
) -> Response:
    """The file, as an attachment with its stored content type."""
    return file_response(await case_service.attachment(caseworker.actor, case_id, attachment_id))
