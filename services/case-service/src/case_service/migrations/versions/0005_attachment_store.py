"""attachment bytes behind a storage interface

Revision ID: 0005
Revises: 0004

The bytes move out of `attachments` into the store named by `attachments.storage`
(`postgresql`: the table attachment_blobs, one row per attachment, deleted with it). The
metadata row keeps what lists and checksums need; a store outside the database (S3-compatible)
keeps only the key here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "attachments",
        sa.Column("storage", sa.Text(), server_default="postgresql", nullable=False),
    )
    op.add_column("attachments", sa.Column("storage_key", sa.Text(), nullable=True))
    op.execute("UPDATE attachments SET storage_key = gen_random_uuid()::text")
    op.alter_column("attachments", "storage_key", nullable=False)
    op.create_unique_constraint(op.f("uq_attachments_storage_key"), "attachments", ["storage_key"])
    op.create_table(
        "attachment_blobs",
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["storage_key"],
            ["attachments.storage_key"],
            name=op.f("fk_attachment_blobs_storage_key_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("storage_key", name=op.f("pk_attachment_blobs")),
    )
    # Large files are stored out of line and uncompressed: they are mostly PDFs and images,
    # compressed already, and EXTERNAL lets substring() read a chunk without the whole value.
    op.execute("ALTER TABLE attachment_blobs ALTER COLUMN data SET STORAGE EXTERNAL")
    op.execute(
        "INSERT INTO attachment_blobs (storage_key, data) SELECT storage_key, data FROM attachments"
    )
    op.drop_column("attachments", "data")


def downgrade() -> None:
    op.add_column("attachments", sa.Column("data", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE attachments a SET data = b.data FROM attachment_blobs b"
        " WHERE b.storage_key = a.storage_key"
    )
    op.alter_column("attachments", "data", nullable=False)
    op.drop_table("attachment_blobs")
    op.drop_constraint(op.f("uq_attachments_storage_key"), "attachments", type_="unique")
    op.drop_column("attachments", "storage_key")
    op.drop_column("attachments", "storage")
