"""Payloads of handler groups (SPEC §4: `{"code", "name", "organization", "members"}`)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from arende_contracts.administration import Code, Name
from gateway.users.schemas import Username

Members = Annotated[list[Username], Field(max_length=500)]


class GroupIn(BaseModel):
    """A new handler group of one organization; members are staff usernames."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Name
    organization: Code
    members: Members = []


class GroupPatch(BaseModel):
    """Changes to a group; `members`, when sent, replaces all of them."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    members: Members | None = None


class GroupMember(BaseModel):
    username: str
    name: str


class GroupOut(BaseModel):
    """A handler group; `members` are usernames, `member_names` their display names."""

    code: str
    name: str
    organization: str
    members: list[str]
    member_names: list[GroupMember]
