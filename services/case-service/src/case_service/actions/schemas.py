"""Bodies of the internal action endpoints (the gateway has validated the caller's input)."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Account = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

UpdateStatus = Literal["in_progress", "decided", "closed"]
# Delsvar (a partial answer) or motfråga (a counter-question, the case then waits for the
# submitter), F-AD-8; none: an ordinary update.
UpdateKind = Literal["partial_answer", "counter_question"]
Priority = Literal["low", "medium", "high"]
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


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
    kind: UpdateKind | None = None


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


class ClassifyIn(_Body):
    """Prioritet and kategori (F-AD-6); only the fields sent change, an empty category removes
    it."""

    priority: Priority | None = None
    category: Category | None = None


class TaskIn(_Body):
    """An internal task for a colleague (username) or a handler group, or unassigned."""

    title: Title
    description: Message = ""
    assignee: Account | None = None
    group: Account | None = None


class TaskDoneIn(_Body):
    """Mark a task done (or open it again)."""

    done: bool = True
