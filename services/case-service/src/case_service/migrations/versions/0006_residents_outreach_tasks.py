"""residents, priority and category, waiting for the submitter, internal tasks

Revision ID: 0006
Revises: 0005

F-AD-5 (resident approvals and shares of restricted case types, with their audit), F-AD-6
(priority, category, internal tasks) and F-AD-8 (the time a case waits for the submitter after a
motfråga, left out of handling times).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("priority", sa.Text(), server_default="medium", nullable=False)
    )
    op.add_column("cases", sa.Column("category", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("awaiting_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "cases", sa.Column("waiting_seconds", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.create_index(
        "ix_cases_priority",
        "cases",
        ["priority", "updated_at", "id"],
        postgresql_where=sa.text("priority != 'medium'"),
    )
    op.create_table(
        "resident_approvals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=False),
        sa.Column(
            "approved_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_resident_approvals_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_approvals")),
        sa.UniqueConstraint(
            "organization_id", "personal_number", name="uq_resident_approvals_person"
        ),
    )
    op.create_table(
        "resident_shares",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_type_id", sa.Integer(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shared_by", sa.Text(), nullable=False),
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
            ["case_type_id"],
            ["case_types.id"],
            name=op.f("fk_resident_shares_case_type_id_case_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_shares")),
        sa.UniqueConstraint("case_type_id", "personal_number", name="uq_resident_shares_person"),
    )
    op.create_index("ix_resident_shares_person", "resident_shares", ["personal_number"])
    op.create_table(
        "resident_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("case_type", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_resident_audit_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_audit")),
    )
    op.create_index("ix_resident_audit_org", "resident_audit", ["organization_id", "at"])
    op.create_table(
        "case_tasks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("assignee", sa.Text(), nullable=True),
        sa.Column("group_code", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("done_by", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_tasks_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_tasks")),
    )
    op.create_index("ix_case_tasks_case", "case_tasks", ["case_id"])
    op.create_index(
        "ix_case_tasks_assignee_open",
        "case_tasks",
        ["assignee"],
        postgresql_where=sa.text("done_at IS NULL"),
    )
    op.create_index(
        "ix_case_tasks_group_open",
        "case_tasks",
        ["group_code"],
        postgresql_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("case_tasks")
    op.drop_table("resident_audit")
    op.drop_table("resident_shares")
    op.drop_table("resident_approvals")
    op.drop_index("ix_cases_priority", table_name="cases")
    op.drop_column("cases", "waiting_seconds")
    op.drop_column("cases", "awaiting_since")
    op.drop_column("cases", "category")
    op.drop_column("cases", "priority")
