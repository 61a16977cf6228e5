"""retention-service's tables."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from arende_platform.tables import inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
