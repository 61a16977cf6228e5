"""Payloads of the internal retention API (called by retention-service only)."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

# One command never holds more rows than this: a batch is one short transaction.
MAX_BATCH = 5000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetentionRule(BaseModel):
    """A case type's retention settings, as retention-service decides from them."""

    case_type: str
    organization: str
    archive_days: int
    purge_days: int
    retention_decision: str | None


class DueIn(_In):
    """Which cases of one case type are due at these cut-offs (last update before them)."""

    case_type: str
    archive_before: datetime
    purge_before: datetime


class DueOut(BaseModel):
    """Ids due for archiving, and ids due for purging (archived, or being archived now)."""

    archive: list[int]
    purge: list[int]


class CommandIn(_In):
    """Archive or purge these cases, each only if still due at `before` (checked under lock).

    `archive_before` (purge only): a case not archived yet is purged directly when its last
    update is also before this, i.e. it is due for archiving and purging in the same run.
    """

    case_ids: list[int] = Field(max_length=MAX_BATCH)
    before: datetime
    archive_before: datetime | None = None


class ArchiveOut(BaseModel):
    archived: list[int]
    already: list[int]
    skipped: list[int]


class PurgeOut(BaseModel):
    purged: list[int]
    already: list[int]
    skipped: list[int]


class ResidentRecordsIn(_In):
    """Purge resident records (expired shares, old audit entries) due at these cut-offs.

    `shares_until_before`: shares whose last valid day is before this date go;
    `audit_before`: audit entries written before this go. A dry run only counts them.
    """

    shares_until_before: date
    audit_before: datetime
    dry_run: bool = False
    limit: int = Field(default=MAX_BATCH, ge=1, le=MAX_BATCH)


class ResidentRecordsOut(BaseModel):
    """How many were deleted (or, dry, are due); `more`: call again, a batch was full."""

    shares: int
    audit_entries: int
    expiries_recorded: int = 0
    more: bool
