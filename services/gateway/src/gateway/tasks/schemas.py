"""Requests of internal tasks (F-AD-6, SPEC §4)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Account = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class TaskBody(BaseModel):
    """A task for a colleague (`assignee`, a username) or a handler group (`group`, its code);
    the case's handler stays as it is."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Text = ""
    assignee: Account | None = None
    group: Account | None = None


class TaskPatch(BaseModel):
    """Mark a task done (or, with false, open again)."""

    model_config = ConfigDict(extra="forbid")

    done: bool = True
