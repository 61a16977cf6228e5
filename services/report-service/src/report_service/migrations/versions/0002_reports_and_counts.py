"""reports, report files, case counters kept by a trigger, more case fact timestamps

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every change of a case fact moves one count: out of the old (day, status) cell, into the new
# one. A DELETE moves nothing: a purged case is first set to `purged`, then its fact deleted,
# so its count stays (Gallrad). The day is the submission day in Swedish time.
COUNTS_FUNCTION = """
CREATE FUNCTION case_facts_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_day date;
  new_day date;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.status IS NOT DISTINCT FROM OLD.status
       AND NEW.case_type IS NOT DISTINCT FROM OLD.case_type
       AND NEW.organization IS NOT DISTINCT FROM OLD.organization
       AND NEW.business_area IS NOT DISTINCT FROM OLD.business_area
       AND NEW.submitted_at IS NOT DISTINCT FROM OLD.submitted_at THEN
      RETURN NEW;
    END IF;
    old_day := (OLD.submitted_at AT TIME ZONE 'Europe/Stockholm')::date;
    UPDATE case_counts SET n = n - 1
     WHERE case_type = OLD.case_type AND organization = OLD.organization
       AND business_area = coalesce(OLD.business_area, '') AND day = old_day
       AND status = OLD.status;
    UPDATE case_totals SET n = n - 1
     WHERE case_type = OLD.case_type AND organization = OLD.organization
       AND business_area = coalesce(OLD.business_area, '') AND status = OLD.status;
  END IF;
  new_day := (NEW.submitted_at AT TIME ZONE 'Europe/Stockholm')::date;
  INSERT INTO case_counts AS c (case_type, organization, business_area, day, status, n)
  VALUES (NEW.case_type, NEW.organization, coalesce(NEW.business_area, ''), new_day,
          NEW.status, 1)
  ON CONFLICT (case_type, organization, business_area, day, status)
  DO UPDATE SET n = c.n + 1;
  INSERT INTO case_totals AS t (case_type, organization, business_area, status, n)
  VALUES (NEW.case_type, NEW.organization, coalesce(NEW.business_area, ''), NEW.status, 1)
  ON CONFLICT (case_type, organization, business_area, status)
  DO UPDATE SET n = t.n + 1;
  RETURN NEW;
END $$;
"""
COUNTS_TRIGGER = """
CREATE TRIGGER case_facts_counts AFTER INSERT OR UPDATE ON case_facts
FOR EACH ROW EXECUTE FUNCTION case_facts_counts();
"""


def upgrade() -> None:
    op.add_column("case_facts", sa.Column("started_at", sa.DateTime(timezone=True)))
    op.add_column("case_facts", sa.Column("status_changed_at", sa.DateTime(timezone=True)))
    op.add_column("case_facts", sa.Column("archived_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_case_facts_type_submitted", "case_facts", ["case_type", "submitted_at"], unique=False
    )
    op.create_table(
        "case_counts",
        sa.Column("case_type", sa.Text(), nullable=False),
        sa.Column("organization", sa.Text(), nullable=False),
        sa.Column("business_area", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_type", "organization", "business_area", "day", "status"),
    )
    op.create_table(
        "case_totals",
        sa.Column("case_type", sa.Text(), nullable=False),
        sa.Column("organization", sa.Text(), nullable=False),
        sa.Column("business_area", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_type", "organization", "business_area", "status"),
    )
    # Facts that arrived before this migration are counted once, then the trigger keeps counting.
    op.execute(
        "INSERT INTO case_counts (case_type, organization, business_area, day, status, n) "
        "SELECT case_type, organization, coalesce(business_area, ''), "
        "(submitted_at AT TIME ZONE 'Europe/Stockholm')::date, status, count(*) "
        "FROM case_facts GROUP BY 1, 2, 3, 4, 5"
    )
    op.execute(
        "INSERT INTO case_totals (case_type, organization, business_area, status, n) "
        "SELECT case_type, organization, coalesce(business_area, ''), status, count(*) "
        "FROM case_facts GROUP BY 1, 2, 3, 4"
    )
    op.execute(COUNTS_FUNCTION)
    op.execute(COUNTS_TRIGGER)
    op.create_table(
        "purged_cases",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ordered_by", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("case_type", sa.Text(), nullable=False),
        sa.Column("include_form_data", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), server_default="ordered", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("case_count", sa.BigInteger(), nullable=True),
        sa.Column("expected_count", sa.BigInteger(), nullable=True),
        sa.Column("progress", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reports_orderer", "reports", ["ordered_by", "ordered_at"], unique=False)
    op.create_index("ix_reports_status", "reports", ["status", "ordered_at"], unique=False)
    op.create_table(
        "report_files",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id"),
    )


def downgrade() -> None:
    op.drop_table("report_files")
    op.drop_index("ix_reports_status", table_name="reports")
    op.drop_index("ix_reports_orderer", table_name="reports")
    op.drop_table("reports")
    op.drop_table("purged_cases")
    op.execute("DROP TRIGGER case_facts_counts ON case_facts")
    op.execute("DROP FUNCTION case_facts_counts()")
    op.drop_table("case_totals")
    op.drop_table("case_counts")
    op.drop_index("ix_case_facts_type_submitted", table_name="case_facts")
    op.drop_column("case_facts", "archived_at")
    op.drop_column("case_facts", "status_changed_at")
    op.drop_column("case_facts", "started_at")
