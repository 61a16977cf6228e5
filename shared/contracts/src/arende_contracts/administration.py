"""Payloads of the organization and case-type administration (SPEC §4).

One definition for the gateway's public API (refusing bad input before any internal call) and
case-service's internal API.
"""

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.-]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Days = Annotated[int, Field(ge=0, le=36500)]
# The statuses a caseworker's change can leave a case in: a case type may notify the submitter
# only on some of them (F-IN-4).
NotifyStatus = Literal["assigned", "in_progress", "decided", "closed", "awaiting_submitter"]
NOTIFY_STATUSES: tuple[str, ...] = get_args(NotifyStatus)


class OrganizationIn(BaseModel):
    """A new förvaltning."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Name


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class Organization(BaseModel):
    id: int
    code: str
    name: str


class CaseTypeSettings(BaseModel):
    """Every setting of a case type that can be changed (F-IN-4); omitted ones stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    active: bool | None = None
    allow_anonymous: bool | None = None
    internal: bool | None = None
    notify_email: bool | None = None
    notify_sms: bool | None = None
    two_way: bool | None = None
    restricted: bool | None = None
    archive_days: Days | None = Field(default=None, description="0 means at the next run")
    purge_days: Days | None = Field(default=None, description="0 means at the next run")
    retention_decision: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="The gallringsbeslut; without it nothing is purged"
    )
    notify_statuses: Annotated[list[NotifyStatus], Field(max_length=5)] | None = Field(
        default=None,
        description=(
            "Notify (by the channels on) only when a change leaves the case in one of these "
            "statuses; null or absent: on every change the submitter sees"
        ),
    )


class CaseTypeIn(CaseTypeSettings):
    """A new ärendetyp in an organization."""

    code: Code
    name: Name
    organization: Code


class CaseType(BaseModel):
    id: int
    code: str
    name: str
    organization: str
    active: bool
    allow_anonymous: bool
    internal: bool
    notify_email: bool
    notify_sms: bool
    two_way: bool
    restricted: bool
    archive_days: int
    purge_days: int
    retention_decision: str | None
    notify_statuses: list[str] | None = None
