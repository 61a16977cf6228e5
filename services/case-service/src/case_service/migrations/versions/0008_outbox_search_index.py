"""purge indexes: the outbox messages a purge searches, attachments by timeline event

Revision ID: 0008
Revises: 0007

A purge (case_service.retention) deletes unpublished outbox messages that still carry the
purged personnummer. During a retention run most of the outbox is the run's own messages
(CaseArchived, CasePurged, case.withdrawn), which never carry one; scanning them for every batch
made a run of 100,000 cases quadratic. This partial index holds only the others.

Deleting a case deletes its timeline events, and each deleted event sets `attachments.event_id`
to NULL where it is referenced: without an index on that column every event deleted read the
whole attachments table.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_outbox_not_retention ON outbox (id)"
        " WHERE event_type NOT IN ('CaseArchived', 'CasePurged', 'case.withdrawn')"
    )
    op.execute(
        "CREATE INDEX ix_attachments_event ON attachments (event_id) WHERE event_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_attachments_event")
    op.execute("DROP INDEX IF EXISTS ix_outbox_not_retention")
