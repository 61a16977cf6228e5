"""personal settings of staff: display name, signature, alerts

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
    op.add_column("staff_users", sa.Column("display_name", sa.Text(), nullable=True))
    op.add_column("staff_users", sa.Column("signature", sa.Text(), nullable=True))
    for column in ("alert_new_case", "alert_assigned", "alert_sms"):
        op.add_column(
            "staff_users",
            sa.Column(column, sa.Boolean(), server_default="false", nullable=False),
        )


def downgrade() -> None:
    for column in ("alert_sms", "alert_assigned", "alert_new_case", "signature", "display_name"):
        op.drop_column("staff_users", column)
