"""Renders every submitted form version as a PDF attachment named after the case type (F-IN-2).

Runs on `case.submitted.v1` / `case.resubmitted.v1` from case-service's own outbox, so intake
stays fast and a rendering fault never loses a case. A PDF costs ~15 ms of CPU — far more than
taking in the case — so rendering happens in a worker process at lower CPU priority: under a
burst of submissions intake keeps its pace and the PDFs follow as CPU allows (they wait,
durably, in case-service.form-documents).
"""

import asyncio
import atexit
import hashlib
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.events import CaseResubmitted, CaseSubmitted, EventEnvelope
from arende_platform.messaging import Rejected, Subscription, Work, decode_event, message_id_key
from arende_platform.processes import die_with_parent
from arende_platform.topology import FORM_DOCUMENTS
from case_service.attachments.storage import save_attachments
from case_service.documents.pdf import FormDocument, filename, render
from case_service.models import Attachment, Case, CaseType, FormVersion, Organization

log = logging.getLogger(__name__)


_pool: ProcessPoolExecutor | None = None


def _lower_priority(parent_pid: int) -> None:
    die_with_parent(parent_pid)
    os.nice(10)


def _renderer() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_lower_priority,
            initargs=(os.getpid(),),
        )
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def submitter_line(case: Case) -> str:
    """Who submitted, as the form shows it."""
    if case.submitter_kind == "anonymous":
        return "Anonym"
    identity = case.submitter_personal_number or case.submitter_account or ""
    return " ".join(part for part in (identity, case.submitter_name) if part)


async def render_form_version(session: AsyncSession, case_id: int, version: int) -> bool:
    """Store the PDF of one form version unless it exists; False when the case is gone."""
    row = (
        await session.execute(
            select(Case, CaseType.name, Organization.name)
            .join(CaseType, CaseType.id == Case.case_type_id)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(Case.id == case_id)
        )
    ).first()
    if row is None:
        return False  # purged meanwhile: nothing to render
    case, type_name, org_name = row
    exists = (
        await session.execute(
            select(Attachment.id).where(
                Attachment.case_id == case_id, Attachment.form_version == version
            )
        )
    ).first()
    if exists:
        return True
    if case.form_version == version:
        form, submitted_at = case.form, case.submitted_at
        if version > 1:
            submitted_at = case.updated_at
    else:
        stored = await session.get(FormVersion, (case_id, version))
        if stored is None:
            raise Rejected("unknown_form_version", f"case {case_id} has no form version {version}")
        form, submitted_at = stored.form, stored.submitted_at
    document = FormDocument(
        case_type_name=type_name,
        organization_name=org_name,
        case_id=case_id,
        version=version,
        submitted_at=submitted_at,
        submitter=submitter_line(case),
        form=form,
    )
    data = await asyncio.get_running_loop().run_in_executor(_renderer(), render, document)
    await save_attachments(
        session,
        [
            {
                "case_id": case_id,
                "form_version": version,
                "filename": filename(type_name, version),
                "content_type": "application/pdf",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": data,
                "source": "form",
            }
        ],
    )
    return True


def make_form_documents() -> Subscription[EventEnvelope]:
    """The PDF renderer's subscription."""

    async def handle(session: AsyncSession, works: list[Work[EventEnvelope]]) -> None:
        for work in works:
            event = work.item
            data: Any = event.data
            if isinstance(event, CaseSubmitted):
                await render_form_version(session, data.case_id, 1)
            elif isinstance(event, CaseResubmitted):
                await render_form_version(session, data.case_id, data.version)

    return Subscription(
        consumer="form-documents",
        queue=FORM_DOCUMENTS,
        decode=decode_event,
        key=message_id_key,
        handle=handle,
        batch_size=20,
        correlation=lambda event: event.correlation_id,
    )
