"""The body of every service's Alembic env.py: online async migrations under an advisory lock."""

import asyncio

from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

# Replicas of a service starting together migrate one after the other.
_MIGRATION_LOCK = 7_403_112_001


def _run(connection: Connection, metadata: MetaData) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
    try:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
        connection.commit()


async def _run_async(metadata: MetaData) -> None:
    url = context.config.attributes["database_url"]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, metadata)
    finally:
        await engine.dispose()


def run_migrations(metadata: MetaData) -> None:
    """Run the pending migrations of `metadata`'s service (online only)."""
    asyncio.run(_run_async(metadata))
