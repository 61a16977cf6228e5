"""run log, legal holds, purge confirmations, schedule state

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _counts() -> list[sa.Column[int]]:
    return [
        sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        for name in ("archived", "purged", "held", "refused", "skipped")
    ]


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *_counts(),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "run_rules",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("case_type", sa.Text(), nullable=False),
        sa.Column("organization", sa.Text(), nullable=False),
        sa.Column("retention_decision", sa.Text(), nullable=True),
        sa.Column("archive_days", sa.Integer(), nullable=False),
        sa.Column("purge_days", sa.Integer(), nullable=False),
        sa.Column("archive_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_before", sa.DateTime(timezone=True), nullable=False),
        *_counts(),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "case_type"),
    )
    op.create_table(
        "run_items",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("case_type", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "action", "case_id"),
    )
    op.create_table(
        "legal_holds",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.Text(), nullable=False),
        sa.Column(
            "placed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "purges",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column(
            "purged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index(op.f("ix_purges_run_id"), "purges", ["run_id"])
    op.create_table(
        "purge_confirmations",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "service"),
    )
    op.create_table(
        "schedule_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_slot", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in (
        "schedule_state",
        "purge_confirmations",
        "purges",
        "legal_holds",
        "run_items",
        "run_rules",
        "runs",
    ):
        op.drop_table(table)
