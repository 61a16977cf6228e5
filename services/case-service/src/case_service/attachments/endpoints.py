"""`GET /internal/cases/{id}/attachments/{attachment_id}`: a file of a case, as stored."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Response
from sqlalchemy import select

from case_service.access import ActorDep
from case_service.access_log import repository as access_log
from case_service.cases.detail import load_case
from case_service.deps import SessionDep
from case_service.errors import CaseError
from case_service.models import Attachment

router = APIRouter(prefix="/internal/cases", tags=["attachments"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/{case_id}/attachments/{attachment_id}")
async def download_attachment(
    case_id: Id, attachment_id: Id, session: SessionDep, actor: ActorDep
) -> Response:
    """The bytes with the stored (detected) content type; the filename, percent-encoded, in
    `x-filename`. 404 outside the actor's scope; every download is in the access log."""
    await load_case(session, actor, case_id)
    row = (
        await session.execute(
            select(Attachment.filename, Attachment.content_type, Attachment.data).where(
                Attachment.id == attachment_id, Attachment.case_id == case_id
            )
        )
    ).first()
    if row is None:
        raise CaseError(404, "attachment_not_found", "attachment not found")
    await access_log.record(session, actor, case_id, "download", f"attachment={attachment_id}")
    return Response(
        content=row.data,
        media_type=row.content_type,
        headers={"x-filename": quote(row.filename, safe="")},
    )
