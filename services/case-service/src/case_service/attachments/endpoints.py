"""`GET /internal/cases/{id}/attachments/{attachment_id}`: a file of a case, as stored."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse

from case_service.access import ActorDep
from case_service.access_log import repository as access_log
from case_service.attachments.storage import find_attachment, read_attachment
from case_service.cases.detail import load_case
from case_service.deps import SessionDep
from case_service.errors import CaseError

router = APIRouter(prefix="/internal/cases", tags=["attachments"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/{case_id}/attachments/{attachment_id}")
async def download_attachment(
    case_id: Id, attachment_id: Id, request: Request, session: SessionDep, actor: ActorDep
) -> StreamingResponse:
    """The bytes, streamed from the store, with the stored (detected) content type; the
    filename, percent-encoded, in `x-filename`. 404 outside the actor's scope; every download
    is in the access log."""
    await load_case(session, actor, case_id)
    stored = await find_attachment(session, case_id, attachment_id)
    if stored is None:
        raise CaseError(404, "attachment_not_found", "attachment not found")
    await access_log.record(session, actor, case_id, "download", f"attachment={attachment_id}")
    return StreamingResponse(
        read_attachment(request.app.state.runtime.sessions, stored),
        media_type=stored.content_type,
        headers={
            "x-filename": quote(stored.filename, safe=""),
            "content-length": str(stored.size),
        },
    )
