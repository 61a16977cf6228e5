"""case-service's tables. It owns organizations, case types, cases, timeline and attachments."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
    and_,
    cast,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arende_platform.tables import inbox_table, outbox_table

CASE_ID_START = 10000
# ICU's Swedish collation (PostgreSQL built with ICU, as Debian's and the official images are).
SWEDISH = "sv-x-icu"


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
# A purge searches the unpublished outbox for the purged personnummer (case_service.retention);
# a retention run's own messages, most of the outbox during a run, never carry one and are left
# out of this index, which the search reads instead of the whole table (migration 0008).
RETENTION_OWN_MESSAGES = ("CaseArchived", "CasePurged", "case.withdrawn")
Index(
    "ix_outbox_not_retention",
    outbox.c.id,
    postgresql_where=outbox.c.event_type.notin_(RETENTION_OWN_MESSAGES),
)


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
    # NULL: notify on every change the submitter sees; else only when the change leaves the
    # case in one of these statuses (arende_contracts.administration.NOTIFY_STATUSES).
    notify_statuses: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
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
    # Texts the list sorts on are compared as Swedish (å, ä, ö after z), whatever the database's
    # collation: see CASE_SORT_KEYS.
    title: Mapped[str] = mapped_column(Text(collation=SWEDISH))
    reference: Mapped[str | None] = mapped_column(Text(collation=SWEDISH))
    handler: Mapped[str | None] = mapped_column(Text)
    handler_group: Mapped[str | None] = mapped_column(Text)
    business_area: Mapped[str | None] = mapped_column(Text)
    submitter_kind: Mapped[str] = mapped_column(Text)
    submitter_personal_number: Mapped[str | None] = mapped_column(Text)
    submitter_account: Mapped[str | None] = mapped_column(Text(collation=SWEDISH))
    submitter_name: Mapped[str | None] = mapped_column(Text(collation=SWEDISH))
    submitter_email: Mapped[str | None] = mapped_column(Text)
    submitter_phone: Mapped[str | None] = mapped_column(Text)
    # Byt användare (F-CV-6): a second employee who may also access the case.
    other_account: Mapped[str | None] = mapped_column(Text)
    other_name: Mapped[str | None] = mapped_column(Text)
    form: Mapped[list[Any]] = mapped_column(JSONB)
    # The form shown is the newest version (F-TW-2); earlier ones are kept in form_versions.
    form_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Detaljerad sökning (F-LI-3): the form's labels and values as words, kept by the trigger
    # cases_form_search (migration 0003). Deferred: only the list's search reads it.
    form_search: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    starred: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Prioritet (låg/medel/hög) and kategori (F-AD-6).
    priority: Mapped[str] = mapped_column(Text, default="medium", server_default="medium")
    category: Mapped[str | None] = mapped_column(Text)
    # Väntar på komplettering after a motfråga (F-AD-8): since when, and all waiting so far in
    # whole seconds, which handling-time statistics leave out.
    awaiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    correlation_id: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- The case list (F-LI-2, F-LI-3): sort keys and search indexes -----------------------------

# Sorting on Status follows the life of a case, not the alphabet of one language's labels.
STATUS_ORDER = (
    "submitted",
    "awaiting_handling",
    "assigned",
    "in_progress",
    "awaiting_submitter",
    "complemented",
    "decided",
    "closed",
    "closed_by_user",
    "archived",
)
_STATUS_ARRAY = literal_column("ARRAY[" + ", ".join(f"'{s}'" for s in STATUS_ORDER) + "]")
_EMPTY = literal_column("''")

# Each sort of the list is keyset-paged on (key, id). No key is ever NULL (keyset comparisons
# would skip NULL rows): a missing reference or submitter name sorts as the empty string, i.e.
# last when descending. Texts sort in Swedish by their columns' collation.
CASE_SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "updated_at": Case.updated_at,
    "submitted_at": Case.submitted_at,
    "title": Case.title,
    "status": func.coalesce(func.array_position(_STATUS_ARRAY, Case.status), literal_column("0")),
    "reference": func.coalesce(Case.reference, _EMPTY),
    "submitter": func.coalesce(Case.submitter_name, Case.submitter_account, _EMPTY),
    "id": Case.id,
}

# Grundläggande sökning matches part of these, lowercased (trigram GIN indexes; partial where
# the value is often missing, so intake pays nothing for those rows).
CASE_ID_TEXT = cast(Case.id, Text)
CASE_SEARCH_COLUMNS: dict[str, ColumnElement[Any]] = {
    "id": CASE_ID_TEXT,
    "reference": func.lower(Case.reference),
    "personal_number": Case.submitter_personal_number,
    "account": func.lower(Case.submitter_account),
    "name": func.lower(Case.submitter_name),
}


def _trigram_index(name: str, key: str, where: ColumnElement[bool] | None = None) -> Index:
    return Index(
        name,
        CASE_SEARCH_COLUMNS[key].label(key),
        postgresql_using="gin",
        postgresql_ops={key: "gin_trgm_ops"},
        postgresql_where=where,
    )


_trigram_index("ix_cases_id_trgm", "id")
_trigram_index("ix_cases_reference_trgm", "reference", Case.reference.is_not(None))
_trigram_index(
    "ix_cases_personal_number_trgm",
    "personal_number",
    Case.submitter_personal_number.is_not(None),
)
_trigram_index("ix_cases_account_trgm", "account", Case.submitter_account.is_not(None))
_trigram_index("ix_cases_name_trgm", "name", Case.submitter_name.is_not(None))
Index("ix_cases_form_search", Case.form_search, postgresql_using="gin")
# Arkiverade ärenden are ~3/4 of all cases and the oldest: every list is either archived or
# not, so the sort indexes lead with this (PostgreSQL matches `ARCHIVED` and
# `ARCHIVED IS false` in a query to it).
ARCHIVED = Case.status == literal_column("'archived'")
# One b-tree per sort within a case type and archived-ness: a list reads each visible case
# type's next rows in order (cases/listing.py), whatever the scope and whichever the sort.
for _sort, _key in CASE_SORT_KEYS.items():
    _keys = (_key,) if _key is Case.id else (_key, Case.id)
    Index(f"ix_cases_list_{_sort}", Case.case_type_id, ARCHIVED, *_keys)
# Lists over very many case types at once read this one (the default sort only).
Index("ix_cases_archived_updated", ARCHIVED, Case.updated_at, Case.id)
# Mina ärenden sorted otherwise than by Ändrades: my cases that are not archived, read among
# the candidates (cases/listing.py) without visiting the heap pages of the archived ones, most
# of a busy handler's cases. The walk newest first keeps ix_cases_handler_updated: its view
# condition (`ARCHIVED IS false`) does not let PostgreSQL prove this index's predicate.
Index(
    "ix_cases_handler_open",
    Case.handler,
    postgresql_where=and_(Case.handler.is_not(None), Case.status != literal_column("'archived'")),
)
# Mina ärenden: the cases of my handler groups (most cases have none).
Index(
    "ix_cases_handler_group",
    Case.handler_group,
    Case.updated_at,
    Case.id,
    postgresql_where=Case.handler_group.is_not(None),
)
# The Prioritet filter: low and high are the few cases not at the default (medium), so their
# index stays small and intake (always medium) never writes to it.
Index(
    "ix_cases_priority",
    Case.priority,
    Case.updated_at,
    Case.id,
    postgresql_where=Case.priority != literal_column("'medium'"),
)
# The Verksamhetstyp filter and its options: distinct values per case type by a skip scan.
Index(
    "ix_cases_type_business_area",
    Case.case_type_id,
    Case.business_area,
    postgresql_where=Case.business_area.is_not(None),
)


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
    # Set on the PDF of a submitted form: which version of the form it shows.
    form_version: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    # Where the bytes are: the store's name and its key (attachments/storage.py).
    storage: Mapped[str] = mapped_column(Text, server_default="postgresql")
    storage_key: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(Text)  # "submission", "caseworker", "citizen"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# A purge deletes timeline events; each sets attachments.event_id to NULL where referenced,
# which without this index reads the whole table per event (migration 0008).
Index(
    "ix_attachments_event",
    Attachment.event_id,
    postgresql_where=Attachment.event_id.is_not(None),
)


class AttachmentBlob(Base):
    """The bytes of an attachment in the PostgreSQL store; deleted with its attachment."""

    __tablename__ = "attachment_blobs"

    storage_key: Mapped[str] = mapped_column(
        ForeignKey("attachments.storage_key", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


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


class FormVersion(Base):
    """A superseded version of a case's form, kept unchanged forever (F-IN-2, F-TW-2)."""

    __tablename__ = "form_versions"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    form: Mapped[list[Any]] = mapped_column(JSONB)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentApproval(Base):
    """A resident approved for communication with an organization (F-AD-5, seed 002)."""

    __tablename__ = "resident_approvals"
    __table_args__ = (
        UniqueConstraint("organization_id", "personal_number", name="uq_resident_approvals_person"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    personal_number: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(Text)
    approved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ResidentShare(Base):
    """A restricted case type shared with a resident until a date or until further notice."""

    __tablename__ = "resident_shares"
    __table_args__ = (
        UniqueConstraint("case_type_id", "personal_number", name="uq_resident_shares_person"),
        Index("ix_resident_shares_person", "personal_number"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"))
    personal_number: Mapped[str] = mapped_column(Text)
    # The last day (Swedish date) the share is valid; NULL: until further notice (tills vidare).
    until: Mapped[date | None] = mapped_column(Date)
    # When its expiry was written to the audit log (once).
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shared_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResidentAudit(Base):
    """Every change to approvals and shares, and every expiry: who, when, what. The personnummer
    is kept here (a table, never a log line) so an administrator can follow one resident."""

    __tablename__ = "resident_audit"
    __table_args__ = (Index("ix_resident_audit_org", "organization_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)  # a username, or "system" for an expiry
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    personal_number: Mapped[str] = mapped_column(Text)
    # approved, approval_removed, shared, share_changed, share_removed, share_expired
    action: Mapped[str] = mapped_column(Text)
    case_type: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")


class CaseTask(Base):
    """An internal task on a case (F-AD-6, seed 004): for a colleague or a handler group, without
    changing the case's handler. Never shown to the submitter."""

    __tablename__ = "case_tasks"
    __table_args__ = (
        Index("ix_case_tasks_case", "case_id"),
        Index("ix_case_tasks_assignee_open", "assignee", postgresql_where=text("done_at IS NULL")),
        Index("ix_case_tasks_group_open", "group_code", postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    assignee: Mapped[str | None] = mapped_column(Text)
    group_code: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_by: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
