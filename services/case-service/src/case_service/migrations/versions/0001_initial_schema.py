"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from arende_platform.tables import OUTBOX_NOTIFY_DDL, OUTBOX_NOTIFY_DROP

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("message_key", sa.Text(), nullable=False),
        sa.Column(
            "handled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "message_key", name=op.f("pk_inbox")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("code", name=op.f("uq_organizations_code")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("exchange", sa.Text(), nullable=False),
        sa.Column("routing_key", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_table(
        "case_types",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("allow_anonymous", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("internal", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("notify_email", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("notify_sms", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("two_way", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("restricted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("archive_days", sa.Integer(), server_default="180", nullable=False),
        sa.Column("purge_days", sa.Integer(), server_default="730", nullable=False),
        sa.Column("retention_decision", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_case_types_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_types")),
        sa.UniqueConstraint("code", name=op.f("uq_case_types_code")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=10000), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("case_type_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("handler", sa.Text(), nullable=True),
        sa.Column("business_area", sa.Text(), nullable=True),
        sa.Column("submitter_kind", sa.Text(), nullable=False),
        sa.Column("submitter_personal_number", sa.Text(), nullable=True),
        sa.Column("submitter_account", sa.Text(), nullable=True),
        sa.Column("submitter_name", sa.Text(), nullable=True),
        sa.Column("submitter_email", sa.Text(), nullable=True),
        sa.Column("submitter_phone", sa.Text(), nullable=True),
        sa.Column("form", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starred", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_type_id"], ["case_types.id"], name=op.f("fk_cases_case_type_id_case_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_cases_submission_id")),
    )
    op.create_index(
        "ix_cases_handler_updated", "cases", ["handler", "updated_at", "id"], unique=False
    )
    op.create_index(
        "ix_cases_type_status_updated",
        "cases",
        ["case_type_id", "status", "updated_at", "id"],
        unique=False,
    )
    op.create_index("ix_cases_updated", "cases", ["updated_at", "id"], unique=False)
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index("ix_attachments_case", "attachments", ["case_id"], unique=False)
    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case", "case_events", ["case_id", "created_at"], unique=False)
    for ddl in OUTBOX_NOTIFY_DDL:
        op.execute(ddl)


def downgrade() -> None:
    for ddl in OUTBOX_NOTIFY_DROP:
        op.execute(ddl)
    op.drop_index("ix_case_events_case", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_attachments_case", table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_cases_updated", table_name="cases")
    op.drop_index("ix_cases_type_status_updated", table_name="cases")
    op.drop_index("ix_cases_handler_updated", table_name="cases")
    op.drop_table("cases")
    op.drop_table("case_types")
    op.drop_table("outbox")
    op.drop_table("organizations")
    op.drop_table("inbox")
