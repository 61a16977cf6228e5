"""gateway's tables: staff accounts, their grants, web sessions and API tokens."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from arende_platform.tables import inbox_table, outbox_table

ROLES = ("receiver", "handler", "admin", "reviewer")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class StaffUser(Base):
    """A staff account (F-AD-1): caseworkers, receivers, administrators, reviewers."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    # argon2id in PHC string format (argon2-cffi), parameters included.
    password_hash: Mapped[str] = mapped_column(Text)
    superuser: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Personal settings (F-AD-4): the name and signature submitters see, and the alerts
    # notification-service sends (F-NO-4): a new case, a case assigned to me; SMS besides e-mail.
    display_name: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(Text)
    alert_new_case: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    alert_assigned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    alert_sms: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    grants: Mapped[list["StaffGrant"]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="(StaffGrant.organization, StaffGrant.role)",
    )
    # Loaded with the user on every request: the actor's group codes (Mina ärenden, F-AD-3).
    groups: Mapped[list["StaffGroup"]] = relationship(
        secondary="staff_group_members", lazy="selectin", viewonly=True, order_by="StaffGroup.code"
    )


class StaffGrant(Base):
    """A role in one organization, optionally limited to some of its case types (F-AD-2)."""

    __tablename__ = "staff_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "organization", "role", name="uq_staff_grants_user_org_role"),
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    organization: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    # NULL: every case type of the organization, including ones created later.
    case_types: Mapped[list[str] | None] = mapped_column(ARRAY(Text))


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        Index("ix_web_sessions_user", "user_id"),
        Index("ix_web_sessions_last_seen", "last_seen_at"),
    )

    id_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ApiToken(Base):
    """A bearer token of the integration API. Only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        Index("ix_api_tokens_user", "user_id"),
        Index("ix_api_tokens_expires", "expires_at"),
    )

    token_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


staff_group_members = Table(
    "staff_group_members",
    Base.metadata,
    Column(
        "group_id",
        ForeignKey("staff_groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_staff_group_members_user", "user_id"),
)


class StaffGroup(Base):
    """A handler group of one organization (F-AD-3): a case assigned to it is in every member's
    Mina ärenden. The code is unique in the installation, since cases carry it (handler_group)."""

    __tablename__ = "staff_groups"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(Text, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    members: Mapped[list[StaffUser]] = relationship(
        secondary=staff_group_members, lazy="raise", order_by=StaffUser.username
    )


class AdminAuditEntry(Base):
    """One administrative change (organizations, case types, staff, grants, groups): who, when,
    what, and the values set. Never a password or its hash."""

    __tablename__ = "admin_audit_log"
    __table_args__ = (
        Index("ix_admin_audit_log_organization", "organization", "id"),
        Index("ix_admin_audit_log_actor", "actor", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    # NULL: an installation-wide change (a new organization is audited under its own code).
    organization: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, object]] = mapped_column(JSONB, server_default="{}")
    # False while a change case-service stores (organizations, case types) awaits its answer,
    # and for good when that answer never came: the change may or may not have been made.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class RememberedOrder(Base):
    """A report order the gateway staged (ReportRequested in its outbox, same transaction),
    kept so that Rapporter lists it as Beställd until report-service does (decision 0012).
    Forgotten once report-service lists it, and a day after it was ordered in any case."""

    __tablename__ = "report_orders"
    __table_args__ = (
        Index("ix_report_orders_ordered_by", "ordered_by", "ordered_at"),
        Index("ix_report_orders_ordered_at", "ordered_at"),
    )

    report_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    # The ReportRequested's event id: its outbox row, while the relay has not published it.
    event_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True))
    ordered_by: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    # The report's name as report-service will give it (the case type's name in it).
    name: Mapped[str] = mapped_column(Text)
    case_type: Mapped[str] = mapped_column(Text)
    include_form_data: Mapped[bool] = mapped_column(Boolean)
    archived: Mapped[bool] = mapped_column(Boolean)
    expected_count: Mapped[int | None] = mapped_column(Integer)
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
