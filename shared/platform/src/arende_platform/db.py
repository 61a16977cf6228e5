"""Database per service: created on DATABASE_URL's server at start, migrated with Alembic."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(url: URL) -> None:
    """Create the database named in `url` on its server if it does not exist yet."""
    maintenance = url.set(database="postgres")
    conn = await asyncpg.connect(_dsn(maintenance))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", url.database)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{url.database}"')
                log.info("database created", extra={"database": url.database})
            except asyncpg.DuplicateDatabaseError:
                pass  # another replica created it at the same moment
    finally:
        await conn.close()


def create_engine(url: URL, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """The async engine of one service's database."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": url.database or "arende"}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the block ends and rolls back on error."""
    async with sessions() as session, session.begin():
        yield session


def alembic_config(script_location: Path, url: URL) -> Config:
    """Alembic configuration for a service's migrations folder and database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["database_url"] = url
    return cfg


async def migrate(script_location: Path, url: URL) -> None:
    """Create the database if needed and upgrade it to the newest migration."""
    await ensure_database(url)
    cfg = alembic_config(script_location, url)
    # Alembic's env runs its own event loop, so it runs in a worker thread.
    await asyncio.to_thread(command.upgrade, cfg, "head")
