"""resident records in the run log: the days applied and the counts purged

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("resident_record_days", sa.Integer(), nullable=True))
    for name in ("resident_shares_purged", "resident_audit_purged"):
        op.add_column("runs", sa.Column(name, sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    for name in ("resident_audit_purged", "resident_shares_purged", "resident_record_days"):
        op.drop_column("runs", name)
