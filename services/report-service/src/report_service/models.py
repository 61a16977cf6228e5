"""report-service's tables: its own record of case facts, fed by events (never case-service's
tables), the counters statistics are read from (which survive purging), and the ordered reports
with their files."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arende_platform.tables import inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class CaseFact(Base):
    """What statistics need of one case: type, organization, status and its timestamps.

    Deleted when the case is purged; its counts stay in `case_counts`/`case_totals` as Gallrad.
    """

    __tablename__ = "case_facts"
    __table_args__ = (
        Index("ix_case_facts_type_status", "case_type", "status"),
        Index("ix_case_facts_type_submitted", "case_type", "submitted_at"),
    )

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_type: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(Text)
    business_area: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # First time the case was taken up (status Behandlas), for Förd>Påbörj and Påbörj>Avsl.
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Last change of status: "had a status change in the period" (Obesvarade, seed 003).
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseCount(Base):
    """Cases per submission day, case type, organization, business area and current status.

    Kept by the trigger `case_facts_counts` (migration 0002) on every change of a fact; a
    purged case moves to status `purged` here before its fact row is deleted.
    """

    __tablename__ = "case_counts"

    case_type: Mapped[str] = mapped_column(Text, primary_key=True)
    organization: Mapped[str] = mapped_column(Text, primary_key=True)
    business_area: Mapped[str] = mapped_column(Text, primary_key=True)  # '' when none
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # submitted, Swedish time
    status: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class CaseTotal(Base):
    """`case_counts` without the day: the Statistik overview reads a handful of rows from here
    instead of grouping on request."""

    __tablename__ = "case_totals"

    case_type: Mapped[str] = mapped_column(Text, primary_key=True)
    organization: Mapped[str] = mapped_column(Text, primary_key=True)
    business_area: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class PurgedCase(Base):
    """Ids of purged cases (no personal data): a CasePurged sent again under a new event id
    (a resumed retention run) finds the case here and is not counted twice."""

    __tablename__ = "purged_cases"

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    purged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Report(Base):
    """An ordered Excel report (Rapporter, F-RE-3): Beställd (`ordered`) → Klar (`done`) or
    Misslyckad (`failed`, with `reason`)."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_orderer", "ordered_by", "ordered_at"),
        Index("ix_reports_status", "status", "ordered_at"),
    )

    id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)  # cases | statistics
    ordered_by: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)  # "Ärenden - <typ>: <namn>"
    case_type: Mapped[str] = mapped_column(Text)
    include_form_data: Mapped[bool] = mapped_column(Boolean)
    archived: Mapped[bool] = mapped_column(Boolean)
    # The whole order (ReportRequestedData as JSON): what the worker builds from.
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="ordered")
    reason: Mapped[str | None] = mapped_column(Text)
    case_count: Mapped[int | None] = mapped_column(BigInteger)
    expected_count: Mapped[int | None] = mapped_column(BigInteger)
    progress: Mapped[int] = mapped_column(BigInteger, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written while a worker builds the report; a stale one means the worker died (stuck job).
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    file_size: Mapped[int | None] = mapped_column(BigInteger)


class ReportFile(Base):
    """The workbook of a finished report; deleted with it."""

    __tablename__ = "report_files"

    report_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
