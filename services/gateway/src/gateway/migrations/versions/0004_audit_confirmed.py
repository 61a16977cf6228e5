"""admin audit entries of changes case-service stores: written first, confirmed after

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every entry so far was written after its change was made: confirmed.
    op.add_column(
        "admin_audit_log",
        sa.Column("confirmed", sa.Boolean(), server_default="true", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("admin_audit_log", "confirmed")
