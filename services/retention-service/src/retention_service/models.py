"""retention-service's tables: the run log, legal holds, purge confirmations, schedule state.

Nothing here is personal data: case ids, case type codes, counts, usernames of administrators.
"""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, MetaData, Text, func
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arende_platform.tables import inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Run(Base):
    """One retention run (gallringskörning): who or what started it, when, and its counts."""

    __tablename__ = "runs"

    id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    trigger: Mapped[str] = mapped_column(Text)  # schedule, manual
    requested_by: Mapped[str | None] = mapped_column(Text)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(Text)  # running, succeeded, failed
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    purged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    # Resident records (retention_service/residents.py): the days applied (None until the step
    # ran, and in runs from before it existed) and what was (or, dry, would be) purged.
    resident_record_days: Mapped[int | None] = mapped_column(Integer)
    resident_shares_purged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resident_audit_purged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RunRule(Base):
    """Per case type in a run: the decision and rule applied, the cut-offs, and the counts."""

    __tablename__ = "run_rules"

    run_id: Mapped[UUID] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    case_type: Mapped[str] = mapped_column(Text, primary_key=True)
    organization: Mapped[str] = mapped_column(Text)
    retention_decision: Mapped[str | None] = mapped_column(Text)
    archive_days: Mapped[int] = mapped_column(Integer)
    purge_days: Mapped[int] = mapped_column(Integer)
    archive_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purge_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    archived: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    purged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RunItem(Base):
    """A case a running run will archive or purge; kept until the run ends, so a run
    interrupted by a crash resumes where it was and still counts what it had done."""

    __tablename__ = "run_items"

    run_id: Mapped[UUID] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    action: Mapped[str] = mapped_column(Text, primary_key=True)  # archive, purge
    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_type: Mapped[str] = mapped_column(Text)
    # None while pending; done, held or skipped after.
    outcome: Mapped[str | None] = mapped_column(Text)


class LegalHold(Base):
    """A case that must not be purged (rättsligt kvarhållande) while the hold lasts."""

    __tablename__ = "legal_holds"

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(Text)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # None: until further notice.
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Purge(Base):
    """A purged case and which run purged it; services' confirmations refer to it."""

    __tablename__ = "purges"

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), index=True)
    purged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PurgeConfirmation(Base):
    """A service has deleted what it held about a purged case (CasePurgeConfirmed)."""

    __tablename__ = "purge_confirmations"

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service: Mapped[str] = mapped_column(Text, primary_key=True)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScheduleState(Base):
    """The last scheduled slot that was run (one row): a slot missed while down runs once."""

    __tablename__ = "schedule_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    last_slot: Mapped[datetime] = mapped_column(DateTime(timezone=True))
