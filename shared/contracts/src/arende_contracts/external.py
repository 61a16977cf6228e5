"""The external message contract of SPEC §4: what e-service forms and the citizen portal send
and receive on the `eservice` and `eservice.public` exchanges."""

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from arende_contracts.identity import (
    InvalidPersonalNumber,
    InvalidPhoneNumber,
    normalize_personal_number,
    normalize_phone,
)
from arende_contracts.statuses import CaseStatus

EXCHANGE_ESERVICE = "eservice"
EXCHANGE_PUBLIC = "eservice.public"

ROUTING_SUBMISSION_CREATED = "submission.created"
ROUTING_CITIZEN_COMPLEMENTED = "citizen.complemented"
ROUTING_CITIZEN_RESUBMITTED = "citizen.resubmitted"
ROUTING_CITIZEN_CLOSED = "citizen.closed"
ROUTING_PUBLIC_CASE_EVENT = "case.event"
ROUTING_PUBLIC_CASE_WITHDRAWN = "case.withdrawn"
ROUTING_PUBLIC_CASE_CREATED = "case.created"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Inbound(BaseModel):
    # Unknown fields are ignored so that form teams can add fields without breaking intake.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Submitter(_Inbound):
    """Who submitted the form: a citizen, an employee or an anonymous person."""

    kind: Literal["citizen", "employee", "anonymous"]
    personal_number: str | None = None
    account: str | None = None
    name: str | None = None
    email: EmailStr | None = None
    phone: str | None = None

    @field_validator("personal_number")
    @classmethod
    def _normalize_personal_number(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return normalize_personal_number(value)
        except InvalidPersonalNumber as exc:
            raise PydanticCustomError(
                "invalid_personal_number", "personal_number is not a valid personnummer"
            ) from exc

    @field_validator("phone")
    @classmethod
    def _normalize_phone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalize_phone(value)
        except InvalidPhoneNumber as exc:
            raise PydanticCustomError("invalid_phone", "phone is not a valid phone number") from exc

    @model_validator(mode="after")
    def _identity_matches_kind(self) -> Self:
        if self.kind == "citizen" and not self.personal_number:
            raise PydanticCustomError(
                "missing_personal_number", "a citizen submission needs personal_number"
            )
        if self.kind == "employee" and not (self.account and self.account.strip()):
            raise PydanticCustomError("missing_account", "an employee submission needs account")
        return self


class FormField(_Inbound):
    """One answered field of the e-service form."""

    key: NonEmpty
    label: str = ""
    value: str | int | float | bool | list[str] | None = None


class FormSection(_Inbound):
    """A titled group of form fields."""

    section: str = ""
    fields: list[FormField]


class AttachmentIn(_Inbound):
    """A file attached to the form, base64-encoded in the message."""

    filename: NonEmpty
    content_type: str = "application/octet-stream"
    data_base64: str


class Submission(_Inbound):
    """`submission.created`: a submitted e-service form; `submission_id` is the idempotency key."""

    submission_id: UUID
    case_type: NonEmpty
    submitted_at: AwareDatetime
    submitter: Submitter
    business_area: str | None = None
    form: list[FormSection] = Field(min_length=1)
    attachments: list[AttachmentIn] = Field(default_factory=list)


class CitizenAction(_Inbound):
    """`citizen.complemented|resubmitted|closed`; `action_id` is the idempotency key."""

    action_id: UUID
    submission_id: UUID
    message: str = ""
    form: list[FormSection] | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list)


class PublicCaseEvent(BaseModel):
    """`case.event` on `eservice.public`: an external event for the citizen portal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    submission_id: UUID
    case_id: int
    status: CaseStatus
    title: str
    message: str
    occurred_at: datetime


class PublicCaseWithdrawn(BaseModel):
    """`case.withdrawn` on `eservice.public`: the citizen portal no longer shows this case.

    Sent when a case is archived (`reason` "archived") and again when it is purged ("purged";
    the portal then deletes what it holds about it). A case due for both in the same run is
    purged directly and gets only the "purged" message. Added to the contract additively: a
    portal that ignores the routing key keeps working.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    submission_id: UUID
    case_id: int
    reason: Literal["archived", "purged"]
    occurred_at: datetime


class PublicCaseCreated(BaseModel):
    """`case.created` on `eservice.public`: staff started a case for a resident (omvänt
    ärendeflöde, F-AD-7), so the portal learns whose it is: it shows the case in the resident's
    Mina sidor, and the resident answers with the usual `citizen.*` actions on its
    `submission_id`. The message itself comes as the case's first `case.event`. Added to the
    contract additively: a portal that ignores the routing key keeps working.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    submission_id: UUID
    case_id: int
    case_type: str
    case_type_name: str
    personal_number: str
    title: str
    two_way: bool
    occurred_at: datetime
