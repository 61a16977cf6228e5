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
# Delsvar or motfråga (F-AD-8); empty or absent: an ordinary update.
UpdateKind = Literal["partial_answer", "counter_question"]
Priority = Literal["low", "medium", "high"]
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


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
    # partial_answer (delsvar) or counter_question (motfråga: the status becomes Väntar på
    # komplettering until the submitter complements); both need `external_message`.
    kind: UpdateKind | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_unchanged(cls, value: object) -> object:
        return None if value in ("", "unchanged") else value

    @field_validator("kind", mode="before")
    @classmethod
    def _empty_is_ordinary(cls, value: object) -> object:
        return None if value in ("", "update") else value


class ClassifyBody(_Body):
    """Prioritet (low, medium, high) and kategori; only what is sent changes, an empty category
    removes it."""

    priority: Priority | None = None
    category: Category | None = None


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
