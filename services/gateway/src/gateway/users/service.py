"""Staff accounts: who may administer whom, creating and changing accounts, the bootstrap admin.

A superuser may do everything. Anyone else administers an account only as `admin` of every
organization the account has (or gets) a grant in, and never touches a superuser.
"""

import logging
from collections.abc import Iterable
from typing import cast

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.access import Actor, Role
from arende_platform.db import transaction
from gateway.audit.service import record
from gateway.auth.passwords import MIN_PASSWORD_LENGTH, Passwords
from gateway.auth.service import end_all_sign_ins
from gateway.case_client import CaseServiceClient
from gateway.errors import AppError
from gateway.models import StaffGrant, StaffUser
from gateway.personal.service import publish_staff
from gateway.settings import GatewaySettings
from gateway.users.schemas import GrantIn, GrantOut, UserIn, Username, UserOut, UserPatch

log = logging.getLogger(__name__)

# Replicas starting together create the bootstrap administrator once.
_BOOTSTRAP_LOCK = 7_403_112_100

ADMIN_REQUIRED = "Administratörsbehörighet krävs"


def administered_organizations(actor: Actor) -> set[str]:
    return {g.organization for g in actor.grants if g.role == "admin"}


def may_administer(actor: Actor, organizations: Iterable[str]) -> bool:
    """True if the actor is a superuser or `admin` of every one of `organizations` (≥ 1)."""
    if actor.superuser:
        return True
    wanted = set(organizations)
    return bool(wanted) and wanted <= administered_organizations(actor)


def user_out(user: StaffUser) -> UserOut:
    return UserOut(
        username=user.username,
        name=user.name,
        email=user.email,
        phone=user.phone,
        superuser=user.superuser,
        active=user.active,
        created_at=user.created_at,
        grants=[
            GrantOut(
                organization=g.organization,
                role=cast(Role, g.role),  # the table's CHECK keeps it a Role
                case_types=g.case_types,
            )
            for g in user.grants
        ],
    )


def _grant_rows(grants: list[GrantIn]) -> list[StaffGrant]:
    seen: set[tuple[str, str]] = set()
    rows = []
    for grant in grants:
        key = (grant.organization, grant.role)
        if key in seen:
            raise AppError(
                422,
                "Samma roll i samma förvaltning förekommer flera gånger: {organization} {role}",
                organization=grant.organization,
                role=grant.role,
            )
        seen.add(key)
        case_types = sorted(set(grant.case_types)) if grant.case_types is not None else None
        rows.append(
            StaffGrant(organization=grant.organization, role=grant.role, case_types=case_types)
        )
    return rows


async def check_grants_exist(
    case_service: CaseServiceClient, actor: Actor, grants: list[GrantIn]
) -> None:
    """Refuse grants naming an organization or case type case-service does not know."""
    if not grants:
        return
    organizations = {
        o["code"] for o in await case_service.call("GET", "/internal/organizations", actor)
    }
    for grant in grants:
        if grant.organization not in organizations:
            raise AppError(
                422, "Okänd förvaltning: {organization}", organization=grant.organization
            )
    if any(g.case_types for g in grants):
        known = {
            (ct["organization"], ct["code"])
            for ct in await case_service.call("GET", "/internal/case-types", actor)
        }
        for grant in grants:
            for code in grant.case_types or ():
                if (grant.organization, code) not in known:
                    raise AppError(
                        422,
                        "Okänd ärendetyp {case_type} i förvaltningen {organization}",
                        case_type=code,
                        organization=grant.organization,
                    )


async def find_user(session: AsyncSession, username: str) -> StaffUser | None:
    return (
        await session.execute(select(StaffUser).where(StaffUser.username == username.lower()))
    ).scalar_one_or_none()


def visible_to(actor: Actor, user: StaffUser) -> bool:
    """Whether the actor may see (and so administer) this account."""
    if actor.superuser:
        return True
    if user.superuser:
        return False
    return bool({g.organization for g in user.grants} & administered_organizations(actor))


async def list_users(session: AsyncSession, actor: Actor) -> list[UserOut]:
    """Accounts with a grant in an organization the actor administers (all for a superuser)."""
    if not actor.superuser and not administered_organizations(actor):
        raise AppError(403, ADMIN_REQUIRED)
    query = select(StaffUser).order_by(StaffUser.username)
    if not actor.superuser:
        query = query.where(
            ~StaffUser.superuser,
            StaffUser.grants.any(StaffGrant.organization.in_(administered_organizations(actor))),
        )
    return [user_out(u) for u in (await session.execute(query)).scalars()]


async def create_user(
    session: AsyncSession,
    passwords: Passwords,
    case_service: CaseServiceClient,
    actor: Actor,
    body: UserIn,
) -> UserOut:
    """A new account; 403 without the rights, 422 for unknown grants, 409 for a taken name."""
    if body.superuser and not actor.superuser:
        raise AppError(403, ADMIN_REQUIRED)
    if not may_administer(actor, {g.organization for g in body.grants}):
        raise AppError(403, ADMIN_REQUIRED)
    grants = _grant_rows(body.grants)
    await check_grants_exist(case_service, actor, body.grants)
    if await find_user(session, body.username) is not None:
        raise AppError(409, "Användaren {username} finns redan", username=body.username)
    user = StaffUser(
        username=body.username,
        name=body.name,
        email=body.email,
        phone=body.phone,
        superuser=body.superuser,
        password_hash=await passwords.hash(body.password),
        grants=grants,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # created by someone else a moment ago
        raise AppError(409, "Användaren {username} finns redan", username=body.username) from exc
    await session.refresh(user, ["created_at"])
    await publish_staff(session, user)
    out = user_out(user)
    details = out.model_dump(mode="json", include={"name", "email", "phone", "superuser", "grants"})
    for organization in _audit_organizations(out.grants):
        record(session, actor, "user.create", user.username, organization, details)
    log.info("staff user created", extra={"username": user.username, "by": actor.username})
    return out


def _audit_organizations(grants: Iterable[GrantOut]) -> list[str | None]:
    """One audit entry per organization concerned, so each one's administrators see it."""
    return sorted({g.organization for g in grants}) or [None]


async def update_user(
    session: AsyncSession,
    passwords: Passwords,
    case_service: CaseServiceClient,
    actor: Actor,
    username: str,
    body: UserPatch,
) -> UserOut:
    """Change an account; a new password or deactivation signs the user out everywhere."""
    user = await find_user(session, username)
    if user is None or not visible_to(actor, user):
        raise AppError(404, "Användaren finns inte")
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "password", "active", "superuser", "grants"):
        if field in changes and changes[field] is None:
            raise AppError(422, "Fältet {field} får inte vara tomt", field=field)
    current_orgs = {g.organization for g in user.grants}
    new_orgs = {g.organization for g in body.grants} if body.grants is not None else set()
    if "superuser" in changes and not actor.superuser:
        raise AppError(403, ADMIN_REQUIRED)
    if not actor.superuser and not may_administer(actor, current_orgs | new_orgs):
        raise AppError(403, ADMIN_REQUIRED)
    if user.username == actor.username and (
        body.active is False or (user.superuser and body.superuser is False)
    ):
        raise AppError(
            422, "Du kan inte inaktivera eller ta bort behörigheter från ditt eget konto"
        )
    if body.grants is not None:
        grants = _grant_rows(body.grants)
        await check_grants_exist(case_service, actor, body.grants)
    before = user_out(user)

    if body.name is not None:
        user.name = body.name
    if "email" in changes:
        user.email = body.email
    if "phone" in changes:
        user.phone = body.phone
    if body.superuser is not None:
        user.superuser = body.superuser
    if body.grants is not None:
        # Old rows go first: a grant kept with other case types has the same unique key.
        user.grants.clear()
        await session.flush()
        user.grants.extend(grants)
    sign_out = False
    if body.password is not None:
        user.password_hash = await passwords.hash(body.password)
        sign_out = True
    if body.active is not None:
        sign_out = sign_out or (user.active and not body.active)
        user.active = body.active
    await session.flush()
    await publish_staff(session, user)
    if sign_out:
        await end_all_sign_ins(session, user.id)
    after = user_out(user)
    fields = ("name", "email", "phone", "active", "superuser", "grants")
    old_values, new_values = before.model_dump(mode="json"), after.model_dump(mode="json")
    details: dict[str, object] = {
        f: [old_values[f], new_values[f]] for f in fields if old_values[f] != new_values[f]
    }
    if body.password is not None:
        details["password"] = "changed"  # noqa: S105 - that it changed, never the value
    if details:
        for organization in _audit_organizations([*before.grants, *after.grants]):
            record(session, actor, "user.update", user.username, organization, details)
    log.info(
        "staff user changed",
        extra={"username": user.username, "by": actor.username, "fields": sorted(changes)},
    )
    return user_out(user)


async def ensure_bootstrap_admin(
    sessions: async_sessionmaker[AsyncSession], passwords: Passwords, settings: GatewaySettings
) -> bool:
    """Create BOOTSTRAP_ADMIN_USER as a superuser if no staff account exists yet."""
    username, password = settings.bootstrap_admin_user, settings.bootstrap_admin_password
    if not username or not password:
        return False
    try:
        username = TypeAdapter(Username).validate_python(username)
    except ValidationError as exc:
        raise ValueError(f"BOOTSTRAP_ADMIN_USER is not a valid username: {username!r}") from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"BOOTSTRAP_ADMIN_PASSWORD must have at least {MIN_PASSWORD_LENGTH} characters"
        )

    async def any_user(session: AsyncSession) -> bool:
        return bool((await session.execute(select(exists().select_from(StaffUser)))).scalar())

    async with transaction(sessions) as session:
        if await any_user(session):
            return False
    password_hash = await passwords.hash(password)
    async with transaction(sessions) as session:
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BOOTSTRAP_LOCK})
        if await any_user(session):
            return False
        session.add(
            StaffUser(
                username=username,
                name=username,
                password_hash=password_hash,
                superuser=True,
            )
        )
    log.info("bootstrap administrator created", extra={"username": username})
    return True
