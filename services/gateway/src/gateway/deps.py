"""Request-scoped dependencies: database session, settings, case-service client, language."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arende_platform.runtime import ServiceRuntime
from gateway.auth.passwords import Passwords
from gateway.case_client import CaseServiceClient
from gateway.errors import request_language
from gateway.settings import GatewaySettings


def sessions_of(request: Request) -> async_sessionmaker[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime.sessions


async def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return sessions_of(request)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with sessions_of(request)() as session, session.begin():
        yield session


# `async def`: FastAPI runs a plain function dependency in a worker thread, a hop that costs
# more than reading app.state.
async def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def _case_service(request: Request) -> CaseServiceClient:
    return request.app.state.case_service  # type: ignore[no-any-return]


def _passwords(request: Request) -> Passwords:
    return request.app.state.passwords  # type: ignore[no-any-return]


SessionDep = Annotated[AsyncSession, Depends(_session)]
# For work that commits more than one transaction of its own (see `audit.service`).
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
CaseServiceDep = Annotated[CaseServiceClient, Depends(_case_service)]
PasswordsDep = Annotated[Passwords, Depends(_passwords)]
LangDep = Annotated[str, Depends(request_language)]
