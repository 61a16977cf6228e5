"""Finding the caller of a request (gateway.auth.service): the one query behind a bearer token
or a session cookie gives the same actor as the ORM's user with its grants and groups, and
keeps the session rules (idle and absolute timeouts, the touch interval, inactive users)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, cast

import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_contracts.access import Actor, Grant, Role
from arende_platform.db import transaction
from gateway.auth.service import (
    SESSION_TOUCH_INTERVAL,
    Caseworker,
    caseworker_for_token,
    digest,
    issue_token,
    resume_session,
    start_session,
)
from gateway.models import StaffUser, WebSession

pytestmark = pytest.mark.asyncio(loop_scope="session")

IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=8)


def orm_actor(user: StaffUser) -> Actor:
    """The actor as the ORM's relationships give it (what the gateway built before the one-query
    loader): the reference the loader must equal."""
    return Actor(
        username=user.username,
        name=user.name,
        display_name=user.display_name or "",
        signature=user.signature or "",
        superuser=user.superuser,
        grants=[
            Grant(
                organization=g.organization,
                role=cast(Role, g.role),
                case_types=list(g.case_types) if g.case_types is not None else None,
            )
            for g in user.grants
        ],
        groups=[g.code for g in user.groups],
    )


@pytest_asyncio.fixture(loop_scope="session")
async def sessions(gateway_app: FastAPI) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield gateway_app.state.runtime.sessions


async def _user(sessions: async_sessionmaker[AsyncSession], username: str) -> StaffUser:
    async with transaction(sessions) as session:
        return (
            await session.execute(select(StaffUser).where(StaffUser.username == username))
        ).scalar_one()


async def _both_ways(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> tuple[Caseworker | None, Caseworker]:
    """(the caseworker of a new bearer token, of a new web session) of a user."""
    async with transaction(sessions) as session:
        token = await issue_token(session, user_id, 1)
        session_id, _ = await start_session(session, user_id, IDLE, ABSOLUTE)
    async with transaction(sessions) as session:
        by_token = await caseworker_for_token(session, token)
        by_cookie = await resume_session(session, session_id, IDLE, ABSOLUTE)
    assert isinstance(by_cookie, Caseworker)
    return by_token, by_cookie


async def test_the_loaded_actor_is_the_users_with_grants_and_groups(
    gw: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    org, other = await gw.organization(), await gw.organization()
    case_type = await gw.case_type(org)
    staff = await gw.staff(
        [
            {"organization": other, "role": "reviewer", "case_types": None},
            {"organization": org, "role": "handler", "case_types": [case_type]},
            {"organization": org, "role": "admin"},
        ],
        name="Åsa Öberg",
        login=False,
    )
    for code in ("grupp-b", "grupp-a"):
        created = await gw.admin(
            "POST",
            "/api/v1/admin/groups",
            json={
                "code": f"{code}-{org}",
                "name": code,
                "organization": org,
                "members": [staff.username],
            },
        )
        assert created.status_code == 201, created.text
    async with transaction(sessions) as session:
        await session.execute(
            update(StaffUser)
            .where(StaffUser.username == staff.username)
            .values(display_name="Åsa på Färdtjänsten", signature="Hälsningar\nÅsa")
        )
    user = await _user(sessions, staff.username)
    expected = orm_actor(user)
    assert [(g.organization, g.role, g.case_types) for g in expected.grants] == sorted(
        [(org, "admin", None), (org, "handler", [case_type]), (other, "reviewer", None)]
    )
    assert expected.groups == [f"grupp-a-{org}", f"grupp-b-{org}"]

    by_token, by_cookie = await _both_ways(sessions, user.id)
    for caseworker in (by_token, by_cookie):
        assert caseworker is not None
        assert caseworker.actor == expected
        assert (caseworker.user_id, caseworker.username, caseworker.name) == (
            user.id,
            user.username,
            "Åsa Öberg",
        )
        assert caseworker.superuser is False
    assert by_token is not None and by_token.session_hash is None
    assert by_token.csrf_token is None
    assert by_cookie.session_hash and by_cookie.csrf_token


async def test_a_user_without_grants_or_groups_and_the_superuser(
    gw: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    staff = await gw.staff([], login=False)
    for username in (staff.username, "admin"):
        user = await _user(sessions, username)
        by_token, by_cookie = await _both_ways(sessions, user.id)
        assert by_token is not None
        assert by_token.actor == by_cookie.actor == orm_actor(user)
        assert by_token.superuser is by_cookie.superuser is user.superuser
    assert by_token.actor.superuser is True
    assert orm_actor(await _user(sessions, staff.username)).grants == []


async def _session_of(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int,
    created_ago: timedelta = timedelta(0),
    seen_ago: timedelta = timedelta(0),
) -> str:
    """A new web session of the user, created and last seen this long ago."""
    async with transaction(sessions) as session:
        session_id, _ = await start_session(session, user_id, IDLE, ABSOLUTE)
        await session.execute(
            update(WebSession)
            .where(WebSession.id_hash == digest(session_id))
            .values(created_at=func.now() - created_ago, last_seen_at=func.now() - seen_ago)
        )
    return session_id


async def _resume(sessions: async_sessionmaker[AsyncSession], session_id: str) -> Any:
    async with transaction(sessions) as session:
        return await resume_session(session, session_id, IDLE, ABSOLUTE)


async def _times(sessions: async_sessionmaker[AsyncSession], session_id: str) -> Any:
    """(created_at, last_seen_at) of a web session."""
    async with transaction(sessions) as session:
        row = await session.execute(
            select(WebSession.created_at, WebSession.last_seen_at).where(
                WebSession.id_hash == digest(session_id)
            )
        )
        return row.one()


async def test_session_timeouts_touch_interval_and_inactive_users(
    gw: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    staff = await gw.staff([], login=False)
    user = await _user(sessions, staff.username)
    second = timedelta(seconds=1)

    idle = await _session_of(sessions, user.id, seen_ago=IDLE + second)
    assert await _resume(sessions, idle) == "expired"
    assert await _resume(sessions, idle) is None  # the expired session is gone
    old = await _session_of(sessions, user.id, created_ago=ABSOLUTE + second)
    assert await _resume(sessions, old) == "expired"
    assert await _resume(sessions, old) is None
    lasting = await _session_of(sessions, user.id, created_ago=ABSOLUTE - 10 * second)
    assert isinstance(await _resume(sessions, lasting), Caseworker)

    # Seen within the touch interval: last_seen_at stays; after it, it becomes now.
    recent = await _session_of(sessions, user.id, seen_ago=SESSION_TOUCH_INTERVAL - 10 * second)
    before = await _times(sessions, recent)
    assert isinstance(await _resume(sessions, recent), Caseworker)
    assert await _times(sessions, recent) == before
    stale = await _session_of(sessions, user.id, seen_ago=SESSION_TOUCH_INTERVAL + second)
    created, seen = await _times(sessions, stale)
    assert created - seen > SESSION_TOUCH_INTERVAL
    assert isinstance(await _resume(sessions, stale), Caseworker)
    _, touched = await _times(sessions, stale)
    assert touched >= created

    # An inactive user's sessions and tokens let nobody in (deactivation through the admin API
    # also deletes them; this is the check behind that).
    async with transaction(sessions) as session:
        token = await issue_token(session, user.id, 1)
        await session.execute(update(StaffUser).where(StaffUser.id == user.id).values(active=False))
    assert await _resume(sessions, stale) is None
    assert await _times(sessions, stale) is not None  # refused, not ended
    async with transaction(sessions) as session:
        assert await caseworker_for_token(session, token) is None
