"""Staff authentication: passwords, API tokens and web sessions, and the `Actor` they yield.

Tokens and session ids are 256-bit random values handed to the client once; the database keeps
only their SHA-256, so a leaked table cannot be replayed. Expiry is computed with the
database's clock, so replicas with drifting clocks agree.

Every API call and page starts with finding its caller, by token or by cookie: one query reads
the user with their grants and group codes aggregated (`_signed_in`), and the `Caseworker` is
built from the row. The ORM's user with its selectin-loaded grants and groups took three
queries and a quarter of the gateway's CPU per case list page (bench/README.md, list_search).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import Row, Select, bindparam, delete, func, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.access import Actor, Grant
from arende_platform.db import transaction
from gateway.auth.passwords import Passwords
from gateway.models import (
    ApiToken,
    StaffGrant,
    StaffGroup,
    StaffUser,
    WebSession,
    staff_group_members,
)

# last_seen_at is written at most this often per session, not on every request.
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)


def digest(secret: str) -> str:
    """The stored form of a token or session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def normalize_username(username: str) -> str:
    return username.strip().lower()


@dataclass(frozen=True)
class Caseworker:
    """The signed-in staff member of a request, detached from the database session."""

    user_id: int
    username: str
    name: str
    superuser: bool
    actor: Actor
    # Set when the request came with a web session (cookie), not with a bearer token.
    session_hash: str | None = None
    csrf_token: str | None = None


_users = StaffUser.__table__
_grants = StaffGrant.__table__
_groups = StaffGroup.__table__

# The user's grants as [[organization, role, case types or null], …] and group codes, in the
# order of StaffUser.grants and StaffUser.groups.
_GRANTS = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(
                        _grants.c.organization, _grants.c.role, _grants.c.case_types
                    ),
                    _grants.c.organization,
                    _grants.c.role,
                )
            ),
            literal_column("'[]'::json"),
        )
    )
    .where(_grants.c.user_id == _users.c.id)
    .scalar_subquery()
)
_GROUPS = (
    select(func.array_agg(aggregate_order_by(_groups.c.code, _groups.c.code)))
    .select_from(staff_group_members.join(_groups))
    .where(staff_group_members.c.user_id == _users.c.id)
    .scalar_subquery()
)


def _signed_in(*columns: Any) -> Select[Any]:
    """The user's columns, grants and group codes (and `columns`), from the users table. The
    statements built on it are made once, at import: building one for every request cost more
    CPU than running it."""
    return select(
        _users.c.id,
        _users.c.username,
        _users.c.name,
        _users.c.display_name,
        _users.c.signature,
        _users.c.superuser,
        _users.c.active,
        _GRANTS.label("grants"),
        _GROUPS.label("groups"),
        *columns,
    ).select_from(_users)


def _caseworker(
    row: Row[Any], session_hash: str | None = None, csrf_token: str | None = None
) -> Caseworker:
    """The caseworker of a `_signed_in` row; the actor is what case-service scopes by."""
    actor = Actor(
        username=row.username,
        name=row.name,
        display_name=row.display_name or "",
        signature=row.signature or "",
        superuser=row.superuser,
        grants=[
            Grant(organization=organization, role=role, case_types=case_types)
            for organization, role, case_types in row.grants
        ],
        groups=row.groups or [],
    )
    return Caseworker(
        user_id=row.id,
        username=row.username,
        name=row.name,
        superuser=row.superuser,
        actor=actor,
        session_hash=session_hash,
        csrf_token=csrf_token,
    )


async def find_user(session: AsyncSession, username: str) -> StaffUser | None:
    return (
        await session.execute(
            select(StaffUser).where(StaffUser.username == normalize_username(username))
        )
    ).scalar_one_or_none()


async def check_password(
    sessions: async_sessionmaker[AsyncSession], passwords: Passwords, username: str, password: str
) -> int | None:
    """The id of the active user with this username and password, or None.

    An unknown username costs the same hashing work as a wrong password. The hash is checked
    outside any transaction, so a burst of logins waiting for hashing slots holds no database
    connections.
    """
    async with transaction(sessions) as session:
        user = await find_user(session, username)
        found = (user.id, user.password_hash, user.active) if user else None
    ok = await passwords.verify(found[1] if found else None, password)
    if found is None or not ok or not found[2]:
        return None
    user_id, password_hash, _ = found
    if passwords.needs_rehash(password_hash):
        rehashed = await passwords.hash(password)
        async with transaction(sessions) as session:
            await session.execute(
                update(StaffUser).where(StaffUser.id == user_id).values(password_hash=rehashed)
            )
    return user_id


async def issue_token(session: AsyncSession, user_id: int, hours: int) -> str:
    """A new bearer token valid for `hours`; expired tokens are cleaned up on the way."""
    await session.execute(delete(ApiToken).where(ApiToken.expires_at < func.now()))
    token = new_secret()
    session.add(
        ApiToken(
            token_hash=digest(token),
            user_id=user_id,
            expires_at=func.now() + timedelta(hours=hours),
        )
    )
    await session.flush()
    return token


_tokens = ApiToken.__table__
# The active owner of an unexpired token (of the SHA-256 `token_hash`): one statement, made once.
_BY_TOKEN = (
    _signed_in()
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.expires_at > func.now(),
        _users.c.active,
    )
)


async def caseworker_for_token(session: AsyncSession, token: str) -> Caseworker | None:
    """The active owner of an unexpired bearer token."""
    row = (await session.execute(_BY_TOKEN, {"token_hash": digest(token)})).first()
    return None if row is None else _caseworker(row)


async def revoke_token(session: AsyncSession, token: str) -> None:
    await session.execute(delete(ApiToken).where(ApiToken.token_hash == digest(token)))


async def start_session(
    session: AsyncSession, user_id: int, idle: timedelta, absolute: timedelta
) -> tuple[str, str]:
    """A new web session: (cookie value, CSRF token). Expired sessions are cleaned up."""
    await session.execute(
        delete(WebSession).where(
            or_(
                WebSession.last_seen_at < func.now() - idle,
                WebSession.created_at < func.now() - absolute,
            )
        )
    )
    session_id, csrf = new_secret(), new_secret()
    session.add(WebSession(id_hash=digest(session_id), user_id=user_id, csrf_token=csrf))
    await session.flush()
    return session_id, csrf


_web_sessions = WebSession.__table__
# The session of a cookie (of the SHA-256 `id_hash`) with its user, whatever their state: the
# caller decides on expiry and activity.
_BY_SESSION = (
    _signed_in(
        _web_sessions.c.id_hash,
        _web_sessions.c.csrf_token,
        _web_sessions.c.created_at,
        _web_sessions.c.last_seen_at,
        func.now().label("now"),
    )
    .join(_web_sessions, _web_sessions.c.user_id == _users.c.id)
    .where(_web_sessions.c.id_hash == bindparam("id_hash"))
)


async def resume_session(
    session: AsyncSession, session_id: str, idle: timedelta, absolute: timedelta
) -> Caseworker | Literal["expired"] | None:
    """The caseworker of a cookie; "expired" after the idle or absolute timeout."""
    row = (await session.execute(_BY_SESSION, {"id_hash": digest(session_id)})).first()
    if row is None:
        return None
    if row.now - row.last_seen_at > idle or row.now - row.created_at > absolute:
        await session.execute(delete(WebSession).where(WebSession.id_hash == row.id_hash))
        return "expired"
    if not row.active:
        return None
    if row.now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        await session.execute(
            update(WebSession)
            .where(WebSession.id_hash == row.id_hash)
            .values(last_seen_at=func.now())
        )
    return _caseworker(row, row.id_hash, row.csrf_token)


async def end_session(session: AsyncSession, session_hash: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id_hash == session_hash))


async def end_all_sign_ins(session: AsyncSession, user_id: int) -> None:
    """Sign a user out everywhere: after a password change or deactivation."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
