"""Mina ärenden: an index of each handler's cases that are not archived

Revision ID: 0009
Revises: 0008

Mina ärenden never shows archived cases, but a busy handler's cases are mostly archived ones
(at 1M cases the busiest has 12,825, of which 9,700 archived). Read through the handler index,
each of them cost a heap page only to be filtered out; this partial index holds only the cases
the view can show (and none of intake's unassigned ones), so those pages are never read.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_cases_handler_open ON cases (handler)"
        " WHERE handler IS NOT NULL AND status <> 'archived'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cases_handler_open")
