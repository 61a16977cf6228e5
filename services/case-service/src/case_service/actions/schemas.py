"""Bodies of the internal action endpoints (the gateway has validated the caller's input)."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Account = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

UpdateStatus = Literal["in_progress", "decided", "closed"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssignIn(_Body):
    """Fördela: to a handler (username, with the display name the gateway knows) or a group."""

    handler: Account | None = None
    handler_name: Name | None = None
    group: Account | None = None
    group_name: Name | None = None
    notify: bool = True

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.handler is None) == (self.group is None):
            raise ValueError("give either handler or group")
        return self


class FileIn(_Body):
    """A file for the event; its type is detected from the content."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    data_base64: str


class UpdateIn(_Body):
    """Uppdatera: new status (or unchanged), the event's title, messages, files."""

    status: UpdateStatus | None = None
    title: Title
    external_message: Message | None = None
    internal_message: Message | None = None
    notify: bool = True
    files: list[FileIn] = []


class ReferenceIn(_Body):
    """Referens: an empty reference removes it."""

    reference: Reference


class CloseIn(_Body):
    """Avsluta: title defaults to "Ändrar status till Avslutad"."""

    title: Title | None = None
    external_message: Message | None = None
    internal_message: Message | None = None
    reference: Reference | None = None
    notify: bool = True


class SwitchUserIn(_Body):
    """Byt användare: the new submitter, and optionally another user with access."""

    account: Account
    name: Name
    other_account: Account | None = None
    other_name: Name | None = None

    @model_validator(mode="after")
    def _other_complete(self) -> Self:
        if (self.other_account is None) != (self.other_name is None):
            raise ValueError("give both other_account and other_name, or neither")
        return self


class AcknowledgeIn(_Body):
    """Kvittera the latest complement."""

    notify: bool = True
