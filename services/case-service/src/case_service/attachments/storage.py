"""Where the bytes of attachments live: one interface, PostgreSQL by default.

Every attachment is written through `save_attachments` and read through `read_attachment`;
nothing else touches the bytes. A store is chosen by `ATTACHMENT_STORE` and recorded per row
(`attachments.storage`), so a later store (an S3-compatible bucket) can be added beside the
PostgreSQL one without moving the files already stored.

The PostgreSQL store writes in the caller's transaction: a case and its files commit or roll
back together, and a purge deletes the bytes with the rows (foreign key ON DELETE CASCADE).
Reads go in chunks of `CHUNK` bytes (`substring` over an EXTERNAL, uncompressed column reads
only the pages it needs), so a download holds one chunk in memory, not the file.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from uuid import uuid4

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from case_service.models import Attachment, AttachmentBlob

CHUNK = 1024 * 1024


class AttachmentStore(Protocol):
    """The bytes of attachments, by key. Metadata stays in case-service's `attachments`."""

    name: ClassVar[str]

    async def put(self, session: AsyncSession, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Store (key, bytes) pairs, in the session's transaction where the store can."""

    def read(
        self, sessions: async_sessionmaker[AsyncSession], key: str, size: int
    ) -> AsyncIterator[bytes]:
        """The bytes of one key, in chunks, from a session of its own (the response outlives
        the request's transaction)."""


class PostgresAttachmentStore:
    """Bytes in the table `attachment_blobs` of case-service's own database."""

    name: ClassVar[str] = "postgresql"

    async def put(self, session: AsyncSession, blobs: Sequence[tuple[str, bytes]]) -> None:
        if blobs:
            await session.execute(
                insert(AttachmentBlob), [{"storage_key": k, "data": d} for k, d in blobs]
            )

    async def read(
        self, sessions: async_sessionmaker[AsyncSession], key: str, size: int
    ) -> AsyncIterator[bytes]:
        async with sessions() as session:
            for offset in range(0, max(size, 1), CHUNK):
                chunk = (
                    await session.execute(
                        select(func.substring(AttachmentBlob.data, offset + 1, CHUNK)).where(
                            AttachmentBlob.storage_key == key
                        )
                    )
                ).scalar_one_or_none()
                if chunk is None:
                    raise LookupError(f"attachment bytes {key} are missing")
                yield bytes(chunk)


STORES: dict[str, AttachmentStore] = {PostgresAttachmentStore.name: PostgresAttachmentStore()}
# The store new files go to, set once at start from ATTACHMENT_STORE (`use_store`).
_current: list[AttachmentStore] = [STORES[PostgresAttachmentStore.name]]


def use_store(name: str) -> None:
    """New attachments go to the store of that name (settings refuse unknown names)."""
    _current[0] = STORES[name]


@dataclass(frozen=True)
class StoredFile:
    """An attachment to send: its metadata and where its bytes are."""

    filename: str
    content_type: str
    size: int
    storage: str
    storage_key: str


async def save_attachments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert attachment rows (as `prepare_files` makes them, plus case, event, …) and their
    bytes: metadata first, then the current store, in the session's transaction."""
    if not rows:
        return
    store = _current[0]
    metadata, blobs = [], []
    for row in rows:
        key = uuid4().hex
        metadata.append(
            {k: v for k, v in row.items() if k != "data"}
            | {"storage": store.name, "storage_key": key}
        )
        blobs.append((key, row["data"]))
    await session.execute(insert(Attachment), metadata)
    await store.put(session, blobs)


def read_attachment(
    sessions: async_sessionmaker[AsyncSession], stored: StoredFile | Attachment
) -> AsyncIterator[bytes]:
    """The bytes of an attachment, in chunks, from the store its row names."""
    return STORES[stored.storage].read(sessions, stored.storage_key, stored.size)


async def find_attachment(
    session: AsyncSession, case_id: int, attachment_id: int
) -> StoredFile | None:
    """The metadata of one attachment of one case, or None."""
    row = (
        await session.execute(
            select(
                Attachment.filename,
                Attachment.content_type,
                Attachment.size,
                Attachment.storage,
                Attachment.storage_key,
            ).where(Attachment.id == attachment_id, Attachment.case_id == case_id)
        )
    ).first()
    return StoredFile(*row) if row else None
