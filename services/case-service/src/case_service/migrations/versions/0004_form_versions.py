"""form versions and the form PDF's version

Revision ID: 0004
Revises: 0003

A resubmitted form (F-TW-2) becomes the case's form; the one it replaces is kept in
form_versions. The PDF of each version is an attachment with form_version set.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("form_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("attachments", sa.Column("form_version", sa.Integer(), nullable=True))
    op.create_table(
        "form_versions",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("form", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_form_versions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "version", name=op.f("pk_form_versions")),
    )


def downgrade() -> None:
    op.drop_table("form_versions")
    op.drop_column("attachments", "form_version")
    op.drop_column("cases", "form_version")
