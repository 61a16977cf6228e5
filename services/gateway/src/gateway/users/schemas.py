"""Payloads of staff administration (SPEC §4: user with grants)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from arende_contracts.access import Role
from arende_contracts.administration import Code, Name
from gateway.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",  # then lower-cased
    ),
]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{3,30}$")
]


class GrantIn(BaseModel):
    """A role in an organization; `case_types` absent means all of its case types."""

    model_config = ConfigDict(extra="forbid")

    organization: Code
    role: Role
    case_types: Annotated[list[Code], Field(min_length=1, max_length=500)] | None = None


class UserIn(BaseModel):
    """A new staff account."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    name: Name
    password: Password
    email: EmailStr | None = None
    phone: Phone | None = None
    superuser: bool = Field(default=False, description="Only a superuser may grant this")
    grants: Annotated[list[GrantIn], Field(max_length=200)] = []


class UserPatch(BaseModel):
    """Changes to a staff account; `grants`, when sent, replaces all of them."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    password: Password | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    active: bool | None = None
    superuser: bool | None = None
    grants: Annotated[list[GrantIn], Field(max_length=200)] | None = None


class GrantOut(BaseModel):
    organization: str
    role: Role
    case_types: list[str] | None


class UserOut(BaseModel):
    """A staff account as administrators see it (never the password hash)."""

    username: str
    name: str
    email: str | None
    phone: str | None
    superuser: bool
    active: bool
    created_at: datetime
    grants: list[GrantOut]
