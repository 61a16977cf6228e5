"""case list: search and sort indexes

Revision ID: 0003
Revises: 0002

Grundläggande sökning (F-LI-3) matches part of the id, reference, personnummer, account or name:
one trigram GIN index per column, on the lowercased value (partial where the value is often
missing). Detaljerad sökning also matches the words of the submitted form: `form_search`, kept
by a trigger, with a GIN index. Every sort of the list (F-LI-2) has a b-tree on (key, id) for
keyset paging (texts in Swedish order); the keys are `case_service.models.CASE_SORT_KEYS`.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The words of a submitted form: its field labels and values, as PostgreSQL's parser splits them
# (the search term is split the same way). The 'simple' configuration lowercases without
# stemming, so prefix matching ("flex" finds "flexlinjen") works on the words as written. One
# expression (the function is inlined): ~35 µs per form of 15 fields.
FORM_SEARCH_DDL = (
    """
    CREATE FUNCTION case_form_search(form jsonb) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT to_tsvector(
            'simple'::regconfig,
            (jsonb_path_query_array(form, 'lax $[*].fields[*].label')
             || jsonb_path_query_array(form, 'lax $[*].fields[*].value'))::text
        )
    $$;
    """,
    """
    CREATE FUNCTION cases_form_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.form_search := case_form_search(NEW.form);
        RETURN NEW;
    END $$;
    """,
    """
    CREATE TRIGGER cases_form_search BEFORE INSERT OR UPDATE OF form ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_form_search();
    """,
)

# Texts the list sorts on compare as Swedish (ICU): å, ä, ö after z, whatever the database's
# collation.
SWEDISH = "sv-x-icu"
SWEDISH_COLUMNS = ("title", "reference", "submitter_account", "submitter_name")
STATUS_ORDER = (
    "ARRAY['submitted', 'awaiting_handling', 'assigned', 'in_progress', 'awaiting_submitter', "
    "'complemented', 'decided', 'closed', 'closed_by_user', 'archived']"
)

ARCHIVED = "(status = 'archived')"
# (name, key expressions, WHERE) of the b-tree indexes. A list reads each visible case type's
# next rows in the order of its sort, archived or not (the oldest ~3/4 of all cases are);
# `id` last makes keyset paging exact.
SORT_KEYS = {
    "updated_at": "updated_at",
    "submitted_at": "submitted_at",
    "title": "title",
    "status": f"coalesce(array_position({STATUS_ORDER}, status), 0)",
    "reference": "coalesce(reference, '')",
    "submitter": "coalesce(submitter_name, submitter_account, '')",
}
SORT_INDEXES = (
    *(
        (f"ix_cases_list_{sort}", ["case_type_id", ARCHIVED, key, "id"], None)
        for sort, key in SORT_KEYS.items()
    ),
    ("ix_cases_list_id", ["case_type_id", ARCHIVED, "id"], None),
    # Lists over very many case types at once (the default sort only).
    ("ix_cases_archived_updated", [ARCHIVED, "updated_at", "id"], None),
    # Mina ärenden: the cases of my handler groups (most cases have none).
    (
        "ix_cases_handler_group",
        ["handler_group", "updated_at", "id"],
        "handler_group IS NOT NULL",
    ),
    # The Verksamhetstyp filter and its options (distinct values per case type by a skip scan).
    (
        "ix_cases_type_business_area",
        ["case_type_id", "business_area"],
        "business_area IS NOT NULL",
    ),
)

# (name, indexed expression, WHERE) of the trigram GIN indexes of Grundläggande sökning.
TRIGRAM_INDEXES = (
    ("ix_cases_id_trgm", "CAST(id AS TEXT)", None),
    ("ix_cases_reference_trgm", "lower(reference)", "reference IS NOT NULL"),
    (
        "ix_cases_personal_number_trgm",
        "submitter_personal_number",
        "submitter_personal_number IS NOT NULL",
    ),
    ("ix_cases_account_trgm", "lower(submitter_account)", "submitter_account IS NOT NULL"),
    ("ix_cases_name_trgm", "lower(submitter_name)", "submitter_name IS NOT NULL"),
)


# PostgreSQL keeps no statistics on the expressions of partial indexes, and without them it
# takes "%berg%" (17 % of all names) for as rare as "%zetterqvist%": statistics objects on the
# searched expressions (a larger sample, 500, for the varied texts) let it tell them apart.
SEARCH_STATISTICS = (
    ("cases_search_id", "CAST(id AS TEXT)", 100),
    ("cases_search_reference", "lower(reference)", 500),
    ("cases_search_account", "lower(submitter_account)", 500),
    ("cases_search_name", "lower(submitter_name)", 500),
)


def create_list_indexes() -> None:
    """The indexes of the case list (the same as the models declare)."""
    for name, keys, where in SORT_INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON cases ({', '.join(keys)})"
            + (f" WHERE {where}" if where else "")
        )
    for name, expression, where in TRIGRAM_INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON cases USING gin ({expression} gin_trgm_ops)"
            + (f" WHERE {where}" if where else "")
        )
    op.execute("CREATE INDEX ix_cases_form_search ON cases USING gin (form_search)")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column("cases", sa.Column("form_search", postgresql.TSVECTOR(), nullable=True))
    for column in SWEDISH_COLUMNS:
        op.alter_column("cases", column, type_=sa.Text(collation=SWEDISH))
    for ddl in FORM_SEARCH_DDL:
        op.execute(ddl)
    op.execute("UPDATE cases SET form_search = case_form_search(form)")
    create_list_indexes()
    for name, expression, target in SEARCH_STATISTICS:
        op.execute(f"CREATE STATISTICS {name} ON ({expression}) FROM cases")
        op.execute(f"ALTER STATISTICS {name} SET STATISTICS {target}")
    op.execute("ALTER TABLE cases ALTER COLUMN submitter_personal_number SET STATISTICS 500")
    # A word that is not among the most common ones is estimated at half the rarest listed
    # one's frequency: with the default 100, ~4,000 of 1M cases for a word found in 96 (and a
    # search then reads cases in order instead of looking them up); with 1,000, ~200.
    op.execute("ALTER TABLE cases ALTER COLUMN form_search SET STATISTICS 1000")


def downgrade() -> None:
    op.execute("ALTER TABLE cases ALTER COLUMN submitter_personal_number SET STATISTICS -1")
    op.execute("ALTER TABLE cases ALTER COLUMN form_search SET STATISTICS -1")
    for name, _, _ in SEARCH_STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_cases_form_search")
    for name, _, _ in TRIGRAM_INDEXES + SORT_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP TRIGGER IF EXISTS cases_form_search ON cases")
    op.execute("DROP FUNCTION IF EXISTS cases_form_search()")
    op.execute("DROP FUNCTION IF EXISTS case_form_search(jsonb)")
    for column in SWEDISH_COLUMNS:
        op.alter_column("cases", column, type_=sa.Text())
    op.drop_column("cases", "form_search")
