"""Who is asking: the caller's identity and grants, passed from the gateway to services."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["receiver", "handler", "admin", "reviewer"]
ACTOR_HEADER = "x-actor"


class Grant(BaseModel):
    """A role in one organization, optionally limited to some of its case types."""

    model_config = ConfigDict(frozen=True)

    organization: str
    role: Role
    case_types: list[str] | None = None


class Actor(BaseModel):
    """A signed-in staff member as the gateway authenticated them."""

    model_config = ConfigDict(frozen=True)

    username: str
    name: str = ""
    # Personal settings (F-AD-4): the name and signature the submitter sees on what this
    # person writes to them; empty means the account's name and no signature.
    display_name: str = ""
    signature: str = ""
    superuser: bool = False
    grants: list[Grant] = []
    groups: list[str] = []
