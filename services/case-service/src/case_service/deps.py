"""Request-scoped dependencies: the database session of the request's transaction."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]
