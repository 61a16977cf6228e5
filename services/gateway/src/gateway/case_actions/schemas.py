"""Requests of the integration API's case actions (SPEC §4, "Integration API")."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Account = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalAccount = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

# Uppdatera offers Behandlas, Beslutad, Avslutad, or the status unchanged (null / "unchanged").
UpdateStatus = Literal["in_progress", "decided", "closed", "unchanged"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class AssignBody(_Body):
    """Fördela: `handler` (username) or `group`; `notify` false opts out of notifying."""

    handler: OptionalAccount | None = None
    group: OptionalAccount | None = None
    notify: bool = True


class UpdateBody(_Body):
    """Uppdatera (JSON; with files, the same fields as multipart/form-data plus `files`)."""

    status: UpdateStatus | None = None
    title: Title
    external_message: Message | None = None
    internal_message: Message | None = None
    notify: bool = True

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_unchanged(cls, value: object) -> object:
        return None if value in ("", "unchanged") else value


class ReferenceBody(_Body):
    """Referens (an empty string removes it)."""

    reference: Reference


class CloseBody(_Body):
    """Avsluta; the title defaults to "Ändrar status till Avslutad"."""

    title: OptionalTitle | None = None
    external_message: Message | None = None
    internal_message: Message | None = None
    reference: Reference | None = None
    notify: bool = True


class SwitchUserBody(_Body):
    """Byt användare: the new user's staden-konto and name, optionally a second user."""

    account: Account
    name: Name
    other_account: OptionalAccount | None = None
    other_name: OptionalName | None = None


class AcknowledgeBody(_Body):
    """Kvittera (the body is optional)."""

    notify: bool = True
