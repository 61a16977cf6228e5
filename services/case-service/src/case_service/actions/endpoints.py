"""Internal action API (the gateway calls it for the caller in `x-actor`).

Every action answers the changed case as `GET /internal/cases/{id}` does, plus `notified`: the
e-mail addresses and phone numbers the submitter is being notified at.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from case_service.access import ActorDep
from case_service.actions import service
from case_service.actions.schemas import (
    AcknowledgeIn,
    AssignIn,
    ClassifyIn,
    CloseIn,
    ReferenceIn,
    SwitchUserIn,
    UpdateIn,
)
from case_service.cases.detail import case_detail, case_scope, load_case
from case_service.deps import SessionDep
from case_service.settings import CaseServiceSettings

router = APIRouter(prefix="/internal/cases", tags=["case actions"])

CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def _answer(session: SessionDep, outcome: service.Outcome, actor: ActorDep) -> dict[str, Any]:
    return {
        **(await case_detail(session, outcome.loaded, actor)),
        "notified": list(outcome.notified),
    }


@router.get("/{case_id}/scope")
async def get_case_scope(case_id: CaseId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Case type, organization, status and the actor's allowed actions — no case content, so
    not an access-log read. The gateway decides with it which handlers may be chosen."""
    return case_scope(await load_case(session, actor, case_id), actor)


@router.post("/{case_id}/assign")
async def assign(
    case_id: CaseId, body: AssignIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Fördela to `handler` (with `handler_name`) or `group`."""
    return await _answer(session, await service.assign_case(session, actor, case_id, body), actor)


@router.post("/{case_id}/update")
async def update(
    case_id: CaseId, body: UpdateIn, request: Request, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Uppdatera: status, title, external and internal message, up to 3 files (base64)."""
    settings: CaseServiceSettings = request.app.state.runtime.settings
    outcome = await service.update_case(
        session, actor, case_id, body, settings.max_attachment_bytes
    )
    return await _answer(session, outcome, actor)


@router.patch("/{case_id}")
async def classify(
    case_id: CaseId, body: ClassifyIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Prioritet (low, medium, high) and kategori."""
    return await _answer(session, await service.classify_case(session, actor, case_id, body), actor)


@router.post("/{case_id}/reference")
async def reference(
    case_id: CaseId, body: ReferenceIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Referens: set or change (empty removes it)."""
    return await _answer(session, await service.set_reference(session, actor, case_id, body), actor)


@router.post("/{case_id}/close")
async def close(
    case_id: CaseId, body: CloseIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Avsluta."""
    return await _answer(session, await service.close_case(session, actor, case_id, body), actor)


@router.post("/{case_id}/switch-user")
async def switch_user(
    case_id: CaseId, body: SwitchUserIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Byt användare (employee cases only)."""
    return await _answer(session, await service.switch_user(session, actor, case_id, body), actor)


@router.post("/{case_id}/acknowledge")
async def acknowledge(
    case_id: CaseId, session: SessionDep, actor: ActorDep, body: AcknowledgeIn | None = None
) -> dict[str, Any]:
    """Kvittera the submitter's latest complement."""
    outcome = await service.acknowledge_complement(session, actor, case_id, body or AcknowledgeIn())
    return await _answer(session, outcome, actor)
