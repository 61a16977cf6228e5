"""Every service's migrations create its whole schema on an empty server, matching its models."""

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from arende_platform.db import migrate
from arende_platform.testing import SERVER, TestEnvironment, drop_databases
from case_service.app import MIGRATIONS as CASE_MIGRATIONS
from case_service.models import Base as CaseBase
from notification_service.app import MIGRATIONS as NOTIFICATION_MIGRATIONS
from notification_service.models import Base as NotificationBase
from report_service.app import MIGRATIONS as REPORT_MIGRATIONS
from report_service.models import Base as ReportBase
from retention_service.app import MIGRATIONS as RETENTION_MIGRATIONS
from retention_service.models import Base as RetentionBase

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICES: list[tuple[str, Path, MetaData]] = [
    ("case", CASE_MIGRATIONS, CaseBase.metadata),
    ("notification", NOTIFICATION_MIGRATIONS, NotificationBase.metadata),
    ("report", REPORT_MIGRATIONS, ReportBase.metadata),
    ("retention", RETENTION_MIGRATIONS, RetentionBase.metadata),
]
try:
    from gateway.app import MIGRATIONS as GATEWAY_MIGRATIONS
    from gateway.models import Base as GatewayBase

    SERVICES.append(("gateway", GATEWAY_MIGRATIONS, GatewayBase.metadata))
except ImportError:  # pragma: no cover - the gateway is optional in partial checkouts
    pass


@pytest.mark.parametrize(
    ("database", "migrations", "metadata"), SERVICES, ids=[s[0] for s in SERVICES]
)
async def test_migrations_build_the_schema_from_an_empty_server(
    test_env: TestEnvironment, database: str, migrations: Path, metadata: MetaData
) -> None:
    prefix = f"{test_env.db_prefix}m{uuid.uuid4().hex[:6]}"
    settings = test_env.settings(database_url=f"{SERVER}/{prefix}")
    url = settings.service_database_url(database)
    try:
        await migrate(migrations, url)
        await migrate(migrations, url)  # a second start finds nothing to do
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                diff = await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), metadata)
                )
        finally:
            await engine.dispose()
        assert tables == set(metadata.tables) | {"alembic_version"}
        assert {"outbox", "inbox"} <= tables
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        await drop_databases(prefix)
