"""case actions and access log

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

# Entries are never changed; they are deleted only by a purge (retention), which sets
# `arende.purge` for its transaction.
ACCESS_LOG_APPEND_ONLY = (
    """
    CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('arende.purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'access_log is append-only';
    END $$;
    """,
    """
    CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
    """,
)


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_actor", "access_log", ["actor", "at"], unique=False)
    op.create_index("ix_access_log_case", "access_log", ["case_id", "at"], unique=False)
    op.add_column("attachments", sa.Column("event_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_attachments_event_id_case_events"),
        "attachments",
        "case_events",
        ["event_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "case_events", sa.Column("kind", sa.Text(), server_default="updated", nullable=False)
    )
    op.add_column("cases", sa.Column("handler_group", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("other_account", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("other_name", sa.Text(), nullable=True))
    # The first event of every existing case is its submission.
    op.execute(
        "UPDATE case_events SET kind = 'submitted' WHERE status = 'submitted' AND author IS NULL"
    )
    for ddl in ACCESS_LOG_APPEND_ONLY:
        op.execute(ddl)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
    op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    op.drop_column("cases", "other_name")
    op.drop_column("cases", "other_account")
    op.drop_column("cases", "handler_group")
    op.drop_column("case_events", "kind")
    op.drop_constraint(
        op.f("fk_attachments_event_id_case_events"), "attachments", type_="foreignkey"
    )
    op.drop_column("attachments", "event_id")
    op.drop_index("ix_access_log_case", table_name="access_log")
    op.drop_index("ix_access_log_actor", table_name="access_log")
    op.drop_table("access_log")
