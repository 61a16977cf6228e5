"""The first administrator (SPEC §5): created at start only while no staff account exists."""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from arende_platform.testing import SERVER, TestEnvironment
from gateway.app import build_app
from gateway.models import StaffUser
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_installation(
    test_env: TestEnvironment,
) -> AsyncIterator[Callable[..., Any]]:
    """Start a gateway on an empty database of its own (dropped with the session's prefix)."""
    database_url = f"{SERVER}/{test_env.db_prefix}_boot{uuid.uuid4().hex[:6]}"

    async def start(**settings: Any) -> list[tuple[str, bool]]:
        app = build_app(
            test_env.settings(GatewaySettings, database_url=database_url, **settings),
            case_service_transport=httpx.MockTransport(lambda r: httpx.Response(503)),
        )
        async with LifespanManager(app, startup_timeout=60):
            async with app.state.runtime.sessions() as session:
                rows = await session.execute(
                    select(StaffUser.username, StaffUser.superuser).order_by(StaffUser.id)
                )
                return [(u, s) for u, s in rows.all()]

    yield start


async def test_bootstrap_admin_is_created_only_while_no_user_exists(
    fresh_installation: Callable[..., Any],
) -> None:
    assert await fresh_installation() == []
    first = await fresh_installation(
        bootstrap_admin_user="Forsta", bootstrap_admin_password="forsta-losenordet-1"
    )
    assert first == [("forsta", True)]
    second = await fresh_installation(
        bootstrap_admin_user="andra", bootstrap_admin_password="andra-losenordet-12"
    )
    assert second == [("forsta", True)]


async def test_a_short_bootstrap_password_stops_the_start(
    fresh_installation: Callable[..., Any],
) -> None:
    with pytest.raises(ValueError, match="at least 12 characters"):
        await fresh_installation(bootstrap_admin_user="admin", bootstrap_admin_password="kort")


async def test_the_session_gateway_has_its_bootstrap_superuser(gw: Any) -> None:
    me = await gw.admin("GET", "/api/v1/me")
    assert me.json()["username"] == "admin"
    assert me.json()["superuser"] is True
