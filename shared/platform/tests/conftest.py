from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arende_platform.db import create_engine, create_sessionmaker, ensure_database
from arende_platform.messaging import Broker
from arende_platform.tables import OUTBOX_NOTIFY_DDL, inbox_table, outbox_table
from arende_platform.testing import TestEnvironment


@dataclass
class PlatformDb:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Table
    inbox: Table
    received: Table
    url: object


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def platform_db(test_env: TestEnvironment) -> AsyncIterator[PlatformDb]:
    """A scratch service database with the platform's outbox and inbox tables."""
    settings = test_env.settings()
    url = settings.service_database_url("platform")
    await ensure_database(url)
    metadata = MetaData()
    outbox = outbox_table(metadata)
    inbox = inbox_table(metadata)
    received = Table(
        "received",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("payload", Text, nullable=False),
    )
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for ddl in OUTBOX_NOTIFY_DDL:
            await conn.execute(text(ddl))
    try:
        yield PlatformDb(engine, create_sessionmaker(engine), outbox, inbox, received, url)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def broker(test_env: TestEnvironment) -> AsyncIterator[Broker]:
    """A connected platform broker (the topology is declared)."""
    b = Broker(test_env.rabbitmq_url, "platform-test")
    await b.connect()
    try:
        yield b
    finally:
        await b.close()
