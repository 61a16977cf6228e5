"""report-service's tables: its own record of case facts, fed by events (never case-service's
tables), from which statistics are computed and which survive purging as counts."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, MetaData, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arende_platform.tables import inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class CaseFact(Base):
    """What statistics need of one case: type, organization, status and its timestamps."""

    __tablename__ = "case_facts"
    __table_args__ = (Index("ix_case_facts_type_status", "case_type", "status"),)

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_type: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(Text)
    business_area: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
