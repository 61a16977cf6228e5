"""Requests of the residents API (F-AD-5, SPEC §4). Personnummer are validated here (checksum,
date) and passed on in the 12-digit form; they only ever travel in bodies."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from arende_contracts.identity import InvalidPersonalNumber, normalize_personal_number

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def valid_personal_number(value: str) -> str:
    try:
        return normalize_personal_number(value)
    except InvalidPersonalNumber as exc:
        raise PydanticCustomError("invalid_personal_number", "not a valid personnummer") from exc


PersonalNumber = Annotated[
    str, StringConstraints(max_length=20), AfterValidator(valid_personal_number)
]
MAX_BULK = 1000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResidentIn(_Body):
    """Godkänn invånare för kommunikation."""

    organization: Code
    personal_number: PersonalNumber


class ResidentsOut(_Body):
    """Ta bort godkännande: one resident or many."""

    organization: Code
    personal_numbers: list[PersonalNumber] = Field(min_length=1, max_length=MAX_BULK)


class OrganizationIn(_Body):
    organization: Code


class ShareIn(_Body):
    """Dela ut ärendetyp: `until` is the last day (inclusive); absent or null: tills vidare."""

    organization: Code
    personal_number: PersonalNumber
    case_type: Code
    until: date | None = None


class SharePatch(_Body):
    """Ändra utdelad ärendetyp: a new last day, or null for until further notice."""

    until: date | None = None
