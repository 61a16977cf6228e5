"""Case actions as the gateway runs them for a caller (API and web UI alike).

The gateway knows the staff, so it decides who may be assigned a case and passes their display
name; case-service decides everything about the case itself (scope, role, status) and writes the
change. Uploads are read here, bounded, and passed on base64-encoded.
"""

import base64
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import any_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from arende_contracts.access import Actor
from gateway.case_actions.schemas import (
    AcknowledgeBody,
    AssignBody,
    CloseBody,
    ReferenceBody,
    SwitchUserBody,
    UpdateBody,
)
from gateway.case_client import CaseServiceClient
from gateway.case_errors import action_refusal
from gateway.errors import AppError
from gateway.groups.service import group_in_organization
from gateway.models import StaffGrant, StaffUser

MAX_FILES = 3
ASSIGNABLE_ROLES = ("receiver", "handler", "admin")

TARGET_REQUIRED = "Ange antingen en handläggare eller en handläggargrupp."
UNKNOWN_HANDLER = "Handläggaren {handler} finns inte eller har inte behörighet till ärendet."
UNKNOWN_GROUP = "Handläggargruppen {group} finns inte."
TOO_MANY_FILES = "Högst {limit} filer kan bifogas."
FILE_TOO_LARGE = "Filen {filename} är för stor. Största tillåtna storlek är {limit_mb} MB."
OTHER_USER_INCOMPLETE = (
    "Ange både staden-konto och namn för den andra användaren, eller inget av dem."
)


async def assignable_staff(
    session: AsyncSession, organization: str, case_type: str
) -> list[dict[str, str]]:
    """Active staff with a receiver, handler or admin grant covering the case type."""
    rows = await session.execute(
        select(StaffUser.username, StaffUser.name)
        .join(StaffGrant, StaffGrant.user_id == StaffUser.id)
        .where(
            StaffUser.active,
            StaffGrant.organization == organization,
            StaffGrant.role.in_(ASSIGNABLE_ROLES),
            or_(StaffGrant.case_types.is_(None), literal(case_type) == any_(StaffGrant.case_types)),
        )
        .distinct()
        .order_by(StaffUser.name, StaffUser.username)
    )
    return [{"username": username, "name": name} for username, name in rows.all()]


async def staff_names(session: AsyncSession, usernames: Iterable[str | None]) -> dict[str, str]:
    """Display names of staff accounts (unknown usernames are left out)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = await session.execute(
        select(StaffUser.username, StaffUser.name).where(StaffUser.username.in_(wanted))
    )
    return {username: name for username, name in rows.all()}


async def handlers_for_case(
    session: AsyncSession, case_service: CaseServiceClient, actor: Actor, case_id: int
) -> list[dict[str, str]]:
    """Who the case may be assigned to (404 when the caller cannot see the case)."""
    scope = await case_service.case_scope(actor, case_id)
    return await assignable_staff(session, scope["organization"], scope["case_type"])


async def assign(
    session: AsyncSession,
    case_service: CaseServiceClient,
    actor: Actor,
    case_id: int,
    body: AssignBody,
) -> dict[str, Any]:
    """Fördela to an allowed handler or to a handler group of the case's organization;
    refusals of role and state come from case-service."""
    handler, group = body.handler or None, body.group or None
    if (handler is None) == (group is None):
        raise AppError(422, TARGET_REQUIRED)
    scope = await case_service.case_scope(actor, case_id)
    request: dict[str, Any] = {"notify": body.notify}
    refused = action_refusal(scope, "assign")
    if refused is not None:
        raise refused
    if group is not None:
        found = await group_in_organization(session, group, scope["organization"], hold=True)
        if found is None:
            raise AppError(422, UNKNOWN_GROUP, group=group)
        request.update({"group": found.code, "group_name": found.name})
        return await case_service.act(actor, case_id, "assign", request)
    assert handler is not None
    allowed = {
        s["username"]: s["name"]
        for s in await assignable_staff(session, scope["organization"], scope["case_type"])
    }
    username = handler.lower()
    if username not in allowed:
        raise AppError(422, UNKNOWN_HANDLER, handler=handler)
    request.update({"handler": username, "handler_name": allowed[username]})
    return await case_service.act(actor, case_id, "assign", request)


async def encode_files(files: Sequence[UploadFile], max_bytes: int) -> list[dict[str, str]]:
    """Uploaded files as case-service takes them; at most 3, each at most `max_bytes`.

    A file input left empty by a browser (no name, no content) is not a file.
    """
    chosen = [f for f in files if f.filename or (f.size or 0) > 0]
    if len(chosen) > MAX_FILES:
        raise AppError(422, TOO_MANY_FILES, limit=MAX_FILES)
    encoded = []
    for upload in chosen:
        filename = upload.filename or "bilaga"
        too_large = AppError(
            413, FILE_TOO_LARGE, filename=filename, limit_mb=max(1, max_bytes // (1024 * 1024))
        )
        if upload.size is not None and upload.size > max_bytes:
            raise too_large
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large
        encoded.append({"filename": filename, "data_base64": base64.b64encode(data).decode()})
    return encoded


async def update(
    case_service: CaseServiceClient,
    actor: Actor,
    case_id: int,
    body: UpdateBody,
    files: Sequence[UploadFile],
    max_bytes: int,
) -> dict[str, Any]:
    """Uppdatera with up to 3 files."""
    request = body.model_dump(exclude_none=True)
    request["files"] = await encode_files(files, max_bytes)
    return await case_service.act(actor, case_id, "update", request)


async def set_reference(
    case_service: CaseServiceClient, actor: Actor, case_id: int, body: ReferenceBody
) -> dict[str, Any]:
    return await case_service.act(actor, case_id, "reference", body.model_dump())


async def close(
    case_service: CaseServiceClient, actor: Actor, case_id: int, body: CloseBody
) -> dict[str, Any]:
    request = body.model_dump(exclude_none=True)
    if not request.get("title"):
        request.pop("title", None)  # case-service's default title
    return await case_service.act(actor, case_id, "close", request)


async def switch_user(
    case_service: CaseServiceClient, actor: Actor, case_id: int, body: SwitchUserBody
) -> dict[str, Any]:
    other_account, other_name = body.other_account or None, body.other_name or None
    if (other_account is None) != (other_name is None):
        raise AppError(422, OTHER_USER_INCOMPLETE)
    request: dict[str, Any] = {"account": body.account, "name": body.name}
    if other_account:
        request.update({"other_account": other_account, "other_name": other_name})
    return await case_service.act(actor, case_id, "switch-user", request)


async def acknowledge(
    case_service: CaseServiceClient, actor: Actor, case_id: int, body: AcknowledgeBody
) -> dict[str, Any]:
    return await case_service.act(actor, case_id, "acknowledge", body.model_dump())
