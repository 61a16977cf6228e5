"""The request of omvänt ärendeflöde (F-AD-7, SPEC §4)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Recipient = Annotated[str, StringConstraints(max_length=20)]


class OutreachBody(BaseModel):
    """A message or question to residents: `recipients` are personnummer (at most 250)."""

    model_config = ConfigDict(extra="forbid")

    case_type: Code
    recipients: list[Recipient] = Field(max_length=5000)
    title: Title
    message: Message
