"""case-service's tables. It owns organizations, case types, cases, timeline and attachments."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
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

CASE_ID_START = 10000


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Organization(Base):
    """Förvaltning: the administration that owns case types."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseType(Base):
    """Ärendetyp: one e-service and its handling settings (F-IN-4)."""

    __tablename__ = "case_types"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    two_way: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    archive_days: Mapped[int] = mapped_column(Integer, default=180, server_default="180")
    purge_days: Mapped[int] = mapped_column(Integer, default=730, server_default="730")
    retention_decision: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Case(Base):
    """Ärende: one submission and everything done with it."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_updated", "updated_at", "id"),
        Index("ix_cases_type_status_updated", "case_type_id", "status", "updated_at", "id"),
        Index("ix_cases_handler_updated", "handler", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=CASE_ID_START), primary_key=True)
    submission_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), unique=True)
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"))
    status: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    handler: Mapped[str | None] = mapped_column(Text)
    handler_group: Mapped[str | None] = mapped_column(Text)
    business_area: Mapped[str | None] = mapped_column(Text)
    submitter_kind: Mapped[str] = mapped_column(Text)
    submitter_personal_number: Mapped[str | None] = mapped_column(Text)
    submitter_account: Mapped[str | None] = mapped_column(Text)
    submitter_name: Mapped[str | None] = mapped_column(Text)
    submitter_email: Mapped[str | None] = mapped_column(Text)
    submitter_phone: Mapped[str | None] = mapped_column(Text)
    # Byt användare (F-CV-6): a second employee who may also access the case.
    other_account: Mapped[str | None] = mapped_column(Text)
    other_name: Mapped[str | None] = mapped_column(Text)
    form: Mapped[list[Any]] = mapped_column(JSONB)
    starred: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    correlation_id: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseEvent(Base):
    """Händelse: a timeline entry, external (seen by the submitter) or internal."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    internal: Mapped[bool] = mapped_column(Boolean)
    # What happened: submitted, assigned, updated, reference, closed, switch_user, complemented,
    # acknowledged, resubmitted, closed_by_user, notification, archived.
    kind: Mapped[str] = mapped_column(Text, default="updated", server_default="updated")
    status: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    author: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Attachment(Base):
    """Bilaga: a file stored with a case, with its SHA-256."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case", "case_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # The timeline event the file came with (an update, a complement); none for the form's own.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(Text)  # "submission", "caseworker", "citizen"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccessLogEntry(Base):
    """Who read or did what with which case, when (Swedish public-sector access logging).

    Append-only: a trigger refuses updates, and deletes except under a purge (F-RT-1). No
    personnummer is stored here.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_case", "case_id", "at"),
        Index("ix_access_log_actor", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)  # read, download, assign, update, …
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")
