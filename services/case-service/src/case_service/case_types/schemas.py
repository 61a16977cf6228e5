"""Payloads of the organization and case-type administration (SPEC §4)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.-]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Name


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class CaseTypeSettings(BaseModel):
    """Every setting of a case type that can be changed (F-IN-4)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    active: bool | None = None
    allow_anonymous: bool | None = None
    internal: bool | None = None
    notify_email: bool | None = None
    notify_sms: bool | None = None
    two_way: bool | None = None
    restricted: bool | None = None
    archive_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    purge_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    retention_decision: Annotated[str, StringConstraints(max_length=500)] | None = None


class CaseTypeIn(CaseTypeSettings):
    code: Code
    name: Name  # type: ignore[assignment]
    organization: Code
