"""Staff authentication: passwords, API tokens and web sessions, and the `Actor` they yield.

Tokens and session ids are 256-bit random values handed to the client once; the database keeps
only their SHA-256, so a leaked table cannot be replayed. Expiry is computed with the
database's clock, so replicas with drifting clocks agree.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, cast

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.access import Actor, Grant, Role
from arende_platform.db import transaction
from gateway.auth.passwords import Passwords
from gateway.models import ApiToken, StaffUser, WebSession

# last_seen_at is written at most this often per session, not on every request.
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)


def digest(secret: str) -> str:
    """The stored form of a token or session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def actor_for(user: StaffUser) -> Actor:
    """The identity and grants case-service scopes every object by."""
    return Actor(
        username=user.username,
        name=user.name,
        display_name=user.display_name or "",
        signature=user.signature or "",
        superuser=user.superuser,
        grants=[
            Grant(
                organization=g.organization,
                role=cast(Role, g.role),  # the table's CHECK keeps it a Role
                case_types=list(g.case_types) if g.case_types is not None else None,
            )
            for g in user.grants
        ],
        groups=[g.code for g in user.groups],
    )


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

    @classmethod
    def of(cls, user: StaffUser, web_session: WebSession | None = None) -> "Caseworker":
        return cls(
            user_id=user.id,
            username=user.username,
            name=user.name,
            superuser=user.superuser,
            actor=actor_for(user),
            session_hash=web_session.id_hash if web_session else None,
            csrf_token=web_session.csrf_token if web_session else None,
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


async def user_for_token(session: AsyncSession, token: str) -> StaffUser | None:
    """The active owner of an unexpired bearer token."""
    return (
        await session.execute(
            select(StaffUser)
            .join(ApiToken, ApiToken.user_id == StaffUser.id)
            .where(
                ApiToken.token_hash == digest(token),
                ApiToken.expires_at > func.now(),
                StaffUser.active,
            )
        )
    ).scalar_one_or_none()


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


async def resume_session(
    session: AsyncSession, session_id: str, idle: timedelta, absolute: timedelta
) -> tuple[StaffUser, WebSession] | Literal["expired"] | None:
    """The user and session of a cookie; "expired" after the idle or absolute timeout."""
    row = (
        await session.execute(
            select(WebSession, StaffUser, func.now())
            .join(StaffUser, StaffUser.id == WebSession.user_id)
            .where(WebSession.id_hash == digest(session_id))
        )
    ).first()
    if row is None:
        return None
    web_session, user, now = row
    if now - web_session.last_seen_at > idle or now - web_session.created_at > absolute:
        await session.delete(web_session)
        return "expired"
    if not user.active:
        return None
    if now - web_session.last_seen_at > SESSION_TOUCH_INTERVAL:
        await session.execute(
            update(WebSession)
            .where(WebSession.id_hash == web_session.id_hash)
            .values(last_seen_at=func.now())
        )
    return user, web_session


async def end_session(session: AsyncSession, session_hash: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id_hash == session_hash))


async def end_all_sign_ins(session: AsyncSession, user_id: int) -> None:
    """Sign a user out everywhere: after a password change or deactivation."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
