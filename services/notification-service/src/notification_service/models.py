"""notification-service's tables: what was sent to whom, purged cases, and the staff replica."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arende_platform.tables import inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Notification(Base):
    """One message to one recipient over one channel, written before it is sent.

    `status` is pending (claimed; a send may have begun), sent (the server/provider accepted it)
    or failed (refused, or out of retries). A redelivered request finds `sent` and never sends
    again (docs/decisions/0011-notifications.md). The recipient is personal data: the rows of a
    case are deleted when the case is purged.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("source_event_id", "channel", "recipient", name="uq_notifications_once"),
        Index("ix_notifications_case", "case_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # The event that asked for it (NotificationRequested, CaseSubmitted, CaseAssigned).
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    case_id: Mapped[int] = mapped_column(BigInteger)
    # submitter | new_case | assigned
    kind: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PurgedCase(Base):
    """A purged case (no personal data): a late or retried request for it sends nothing."""

    __tablename__ = "purged_cases"

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    purged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffMember(Base):
    """Replica of a staff member's contact details, grants and alert choices (F-NO-4), kept from
    the gateway's StaffSettingsChanged events; the newest `changed_at` wins."""

    __tablename__ = "staff"

    username: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    superuser: Mapped[bool] = mapped_column(Boolean)
    # [{"organization", "role", "case_types"}] as arende_contracts.access.Grant
    grants: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    groups: Mapped[list[str]] = mapped_column(ARRAY(Text))
    alert_new_case: Mapped[bool] = mapped_column(Boolean)
    alert_assigned: Mapped[bool] = mapped_column(Boolean)
    alert_sms: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
