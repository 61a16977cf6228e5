"""Residents of restricted case types (F-AD-5, seed 002): approvals for communication with an
organization, shares of one restricted case type until a date or until further notice, their
audit, and the check intake makes.

A submission to a restricted case type is admitted when its submitter (a citizen) is approved
by the case type's organization or holds a valid share of the case type. A share is valid up
to and including its `until` day in Swedish time; the first time an expired share is met (at
intake, or when its organization's residents are listed) the expiry is written to the audit.
Personnummer stay in tables and bodies: never in a log line, a dead-letter reason or a URL.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from arende_contracts.external import Submission
from arende_platform.messaging import Work
from case_service.errors import CaseError
from case_service.models import (
    Case,
    CaseType,
    Organization,
    ResidentApproval,
    ResidentAudit,
    ResidentShare,
)

SYSTEM = "system"
# Today in Sweden, by the database's clock (replicas agree).
TODAY = cast(func.timezone("Europe/Stockholm", func.now()), Date)
MANAGING = frozenset({"admin", "receiver", "handler"})


# --- permissions and lookups ----------------------------------------------------------------


def check_may_manage(actor: Actor, organization: str) -> None:
    """Approving and sharing: Lokal administratör, Ärendemottagare or Handläggare of the
    organization (seed 001 gives both the latter "Godkänn invånare och dela ut ärendetyp")."""
    if actor.superuser or any(
        g.organization == organization and g.role in MANAGING for g in actor.grants
    ):
        return
    raise CaseError(403, "residents_role", "your role does not allow managing residents")


def check_may_read(actor: Actor, organization: str) -> None:
    if actor.superuser or any(g.organization == organization for g in actor.grants):
        return
    raise CaseError(403, "residents_role", "your role does not allow managing residents")


async def organization_by_code(session: AsyncSession, code: str) -> Organization:
    org = await session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise CaseError(404, "unknown_organization", "organization not found", organization=code)
    return org


async def known_name(
    session: AsyncSession, organization_id: int, personal_number: str
) -> str | None:
    """The resident's name from their latest case with the organization, if any."""
    return await session.scalar(
        select(Case.submitter_name)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .where(
            CaseType.organization_id == organization_id,
            Case.submitter_personal_number == personal_number,
            Case.submitter_name.is_not(None),
        )
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .limit(1)
    )


async def _audit(
    session: AsyncSession,
    actor: str,
    organization_id: int,
    personal_number: str,
    action: str,
    case_type: str | None = None,
    detail: str = "",
) -> None:
    await session.execute(
        insert(ResidentAudit).values(
            actor=actor,
            organization_id=organization_id,
            personal_number=personal_number,
            action=action,
            case_type=case_type,
            detail=detail,
        )
    )


async def record_expiries(session: AsyncSession, share_ids: Sequence[int] | None = None) -> int:
    """Write each share that expired and was not yet audited as expired (of `share_ids`, or
    all): once per share. Returns how many."""
    query = (
        update(ResidentShare)
        .where(ResidentShare.until < TODAY, ResidentShare.expired_at.is_(None))
        .values(expired_at=func.now())
        .returning(ResidentShare.case_type_id, ResidentShare.personal_number, ResidentShare.until)
    )
    if share_ids is not None:
        if not share_ids:
            return 0
        query = query.where(ResidentShare.id.in_(share_ids))
    expired = (await session.execute(query)).all()
    if not expired:
        return 0
    types = {
        ct.id: ct
        for ct in await session.scalars(
            select(CaseType).where(CaseType.id.in_({row[0] for row in expired}))
        )
    }
    for case_type_id, personal_number, until in expired:
        case_type = types[case_type_id]
        await _audit(
            session,
            SYSTEM,
            case_type.organization_id,
            personal_number,
            "share_expired",
            case_type.code,
            f"until {until.isoformat()}",
        )
    return len(expired)


# --- approvals --------------------------------------------------------------------------------


async def approve(
    session: AsyncSession, actor: Actor, organization: str, personal_number: str
) -> tuple[dict[str, Any], bool]:
    """Approve the resident for communication; (the approval, whether it is new)."""
    check_may_manage(actor, organization)
    org = await organization_by_code(session, organization)
    existing = await session.scalar(
        select(ResidentApproval).where(
            ResidentApproval.organization_id == org.id,
            ResidentApproval.personal_number == personal_number,
        )
    )
    created = existing is None
    if existing is None:
        existing = ResidentApproval(
            organization_id=org.id, personal_number=personal_number, approved_by=actor.username
        )
        session.add(existing)
        await session.flush()
        await session.refresh(existing)
        await _audit(session, actor.username, org.id, personal_number, "approved")
    name = await known_name(session, org.id, personal_number)
    return approval_out(existing, org.code, name), created


def approval_out(approval: ResidentApproval, organization: str, name: str | None) -> dict[str, Any]:
    return {
        "organization": organization,
        "personal_number": approval.personal_number,
        "name": name,
        "approved": True,
        "approved_by": approval.approved_by,
        "approved_at": approval.approved_at,
    }


async def remove_approvals(
    session: AsyncSession, actor: Actor, organization: str, personal_numbers: Sequence[str]
) -> list[str]:
    """Remove the approvals of these residents (one or many); the ones that existed."""
    check_may_manage(actor, organization)
    org = await organization_by_code(session, organization)
    removed = list(
        await session.scalars(
            delete(ResidentApproval)
            .where(
                ResidentApproval.organization_id == org.id,
                ResidentApproval.personal_number.in_(set(personal_numbers)),
            )
            .returning(ResidentApproval.personal_number)
        )
    )
    for personal_number in removed:
        await _audit(session, actor.username, org.id, personal_number, "approval_removed")
    return sorted(removed)


# --- shares -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    share: ResidentShare
    case_type: CaseType
    organization: str
    valid: bool


def share_out(row: ShareRow) -> dict[str, Any]:
    share = row.share
    return {
        "id": share.id,
        "organization": row.organization,
        "personal_number": share.personal_number,
        "case_type": row.case_type.code,
        "case_type_name": row.case_type.name,
        "until": share.until.isoformat() if share.until else None,
        "valid": row.valid,
        "expired": not row.valid,
        "shared_by": share.shared_by,
        "created_at": share.created_at,
        "updated_at": share.updated_at,
    }


async def _today(session: AsyncSession) -> date:
    return await session.scalar(select(TODAY))  # type: ignore[return-value]


async def _restricted_type(
    session: AsyncSession, organization: Organization, code: str
) -> CaseType:
    case_type = await session.scalar(
        select(CaseType).where(CaseType.code == code, CaseType.organization_id == organization.id)
    )
    if case_type is None:
        raise CaseError(422, "share_unknown_case_type", "unknown case type", case_type=code)
    if not case_type.restricted:
        raise CaseError(
            422, "share_not_restricted", "the case type is not restricted", case_type=code
        )
    return case_type


def _check_until(until: date | None, today: date) -> None:
    if until is not None and until < today:
        raise CaseError(422, "share_until_past", "the last day of a share cannot have passed")


async def share(
    session: AsyncSession,
    actor: Actor,
    organization: str,
    personal_number: str,
    case_type_code: str,
    until: date | None,
) -> tuple[dict[str, Any], bool]:
    """Share a restricted case type with the resident (an existing share gets the new date)."""
    check_may_manage(actor, organization)
    org = await organization_by_code(session, organization)
    case_type = await _restricted_type(session, org, case_type_code)
    today = await _today(session)
    _check_until(until, today)
    existing = await session.scalar(
        select(ResidentShare)
        .where(
            ResidentShare.case_type_id == case_type.id,
            ResidentShare.personal_number == personal_number,
        )
        .with_for_update()
    )
    created = existing is None
    until_text = until.isoformat() if until else "tills vidare"
    if existing is None:
        existing = ResidentShare(
            case_type_id=case_type.id,
            personal_number=personal_number,
            until=until,
            shared_by=actor.username,
        )
        session.add(existing)
        await _audit(
            session, actor.username, org.id, personal_number, "shared", case_type.code, until_text
        )
    else:
        existing.until, existing.expired_at = until, None
        existing.updated_at = func.now()
        await _audit(
            session,
            actor.username,
            org.id,
            personal_number,
            "share_changed",
            case_type.code,
            until_text,
        )
    await session.flush()
    await session.refresh(existing)
    return share_out(ShareRow(existing, case_type, org.code, True)), created


async def _load_share(session: AsyncSession, share_id: int) -> tuple[ResidentShare, CaseType, str]:
    row = (
        await session.execute(
            select(ResidentShare, CaseType, Organization.code)
            .join(CaseType, CaseType.id == ResidentShare.case_type_id)
            .join(Organization, Organization.id == CaseType.organization_id)
            .where(ResidentShare.id == share_id)
            .with_for_update(of=ResidentShare)
        )
    ).first()
    if row is None:
        raise CaseError(404, "share_not_found", "share not found")
    return row[0], row[1], row[2]


async def change_share(
    session: AsyncSession, actor: Actor, share_id: int, until: date | None
) -> dict[str, Any]:
    """Ändra: a new last day, or none (until further notice)."""
    existing, case_type, organization = await _load_share(session, share_id)
    check_may_manage(actor, organization)
    today = await _today(session)
    _check_until(until, today)
    existing.until, existing.expired_at = until, None
    existing.updated_at = func.now()
    await _audit(
        session,
        actor.username,
        case_type.organization_id,
        existing.personal_number,
        "share_changed",
        case_type.code,
        until.isoformat() if until else "tills vidare",
    )
    await session.flush()
    await session.refresh(existing)
    return share_out(ShareRow(existing, case_type, organization, True))


async def remove_share(session: AsyncSession, actor: Actor, share_id: int) -> None:
    """Ta bort a share."""
    existing, case_type, organization = await _load_share(session, share_id)
    check_may_manage(actor, organization)
    await session.delete(existing)
    await _audit(
        session,
        actor.username,
        case_type.organization_id,
        existing.personal_number,
        "share_removed",
        case_type.code,
    )


# --- listing --------------------------------------------------------------------------------


async def residents(session: AsyncSession, actor: Actor, organization: str) -> dict[str, Any]:
    """Invånare: everyone approved by the organization or holding one of its shares, with names
    where known, their shares (expired ones marked) and the organization's restricted types."""
    check_may_read(actor, organization)
    org = await organization_by_code(session, organization)
    await record_expiries(session)
    today = await _today(session)
    people: dict[str, dict[str, Any]] = {}

    def person(personal_number: str) -> dict[str, Any]:
        return people.setdefault(
            personal_number,
            {"personal_number": personal_number, "name": None, "approved": False, "shares": []},
        )

    for approval in await session.scalars(
        select(ResidentApproval).where(ResidentApproval.organization_id == org.id)
    ):
        entry = person(approval.personal_number)
        entry.update(approved=True, approved_at=approval.approved_at)
    shares = await session.execute(
        select(ResidentShare, CaseType)
        .join(CaseType, CaseType.id == ResidentShare.case_type_id)
        .where(CaseType.organization_id == org.id)
        .order_by(CaseType.name, ResidentShare.id)
    )
    for item, case_type in shares:
        valid = item.until is None or item.until >= today
        person(item.personal_number)["shares"].append(
            share_out(ShareRow(item, case_type, org.code, valid))
        )
    if people:
        names = await session.execute(
            select(Case.submitter_personal_number, Case.submitter_name)
            .join(CaseType, CaseType.id == Case.case_type_id)
            .where(
                CaseType.organization_id == org.id,
                Case.submitter_personal_number.in_(list(people)),
                Case.submitter_name.is_not(None),
            )
            .order_by(Case.submitted_at, Case.id)
        )
        for personal_number, name in names:
            people[personal_number]["name"] = name  # the latest wins
    restricted = await session.scalars(
        select(CaseType)
        .where(CaseType.organization_id == org.id, CaseType.restricted)
        .order_by(CaseType.name)
    )
    return {
        "organization": org.code,
        "organization_name": org.name,
        "residents": sorted(people.values(), key=lambda p: p["personal_number"]),
        "restricted_case_types": [{"code": ct.code, "name": ct.name} for ct in restricted],
    }


async def lookup(
    session: AsyncSession, actor: Actor, organization: str, personal_number: str
) -> dict[str, Any]:
    """One resident: name when known, approval and shares (the "Namn och personnummer på
    invånaren visas" step before Godkänn / Dela ut)."""
    listing = await residents(session, actor, organization)
    for entry in listing["residents"]:
        if entry["personal_number"] == personal_number:
            return entry
    org = await organization_by_code(session, organization)
    return {
        "personal_number": personal_number,
        "name": await known_name(session, org.id, personal_number),
        "approved": False,
        "shares": [],
    }


async def audit(session: AsyncSession, actor: Actor, organization: str) -> list[dict[str, Any]]:
    """The organization's resident audit, newest first (administrators)."""
    if not actor.superuser and not any(
        g.organization == organization and g.role == "admin" for g in actor.grants
    ):
        raise CaseError(403, "admin_required", "administrator rights required")
    org = await organization_by_code(session, organization)
    rows = await session.scalars(
        select(ResidentAudit)
        .where(ResidentAudit.organization_id == org.id)
        .order_by(ResidentAudit.at.desc(), ResidentAudit.id.desc())
        .limit(500)
    )
    return [
        {
            "at": r.at,
            "actor": r.actor,
            "personal_number": r.personal_number,
            "action": r.action,
            "case_type": r.case_type,
            "detail": r.detail,
        }
        for r in rows
    ]


# --- intake ---------------------------------------------------------------------------------


async def refuse_unadmitted(
    session: AsyncSession, items: Sequence[tuple[Work[Submission], CaseType]]
) -> None:
    """Reject each submission to a restricted case type whose submitter is neither approved by
    its organization nor holds a valid share of it (`resident_not_approved`, or
    `share_expired` when their share has run out, which is then audited)."""
    restricted = [(w, ct) for w, ct in items if ct.restricted and w.rejection is None]
    if not restricted:
        return
    people = [
        (ct, w.item.submitter.personal_number)
        for w, ct in restricted
        if w.item.submitter.personal_number
    ]
    approved: set[tuple[int, str]] = set()
    shares: dict[tuple[int, str], tuple[int, bool]] = {}
    if people:
        approved = {
            (org_id, pn)
            for org_id, pn in await session.execute(
                select(ResidentApproval.organization_id, ResidentApproval.personal_number).where(
                    tuple_(ResidentApproval.organization_id, ResidentApproval.personal_number).in_(
                        {(ct.organization_id, pn) for ct, pn in people}
                    )
                )
            )
        }
        valid = (ResidentShare.until.is_(None)) | (ResidentShare.until >= TODAY)
        shares = {
            (type_id, pn): (share_id, ok)
            for share_id, type_id, pn, ok in await session.execute(
                select(
                    ResidentShare.id,
                    ResidentShare.case_type_id,
                    ResidentShare.personal_number,
                    valid.label("valid"),
                ).where(
                    tuple_(ResidentShare.case_type_id, ResidentShare.personal_number).in_(
                        {(ct.id, pn) for ct, pn in people}
                    )
                )
            )
        }
    expired: list[int] = []
    for work, case_type in restricted:
        personal_number = work.item.submitter.personal_number
        if personal_number and (case_type.organization_id, personal_number) in approved:
            continue
        found = shares.get((case_type.id, personal_number or ""))
        if found is not None and found[1]:
            continue
        if found is not None:
            expired.append(found[0])
            work.reject(
                "share_expired",
                f"case type {case_type.code!r} is restricted and the submitter's share has expired",
            )
        else:
            work.reject(
                "resident_not_approved",
                f"case type {case_type.code!r} is restricted to approved residents",
            )
    await record_expiries(session, expired)
