"""Swedish personal identity numbers (personnummer and samordningsnummer)."""

from datetime import date

import phonenumbers
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError


class InvalidPersonalNumber(ValueError):
    """The value is not a valid personnummer or samordningsnummer."""


def _birth_date(year: int, month: int, day: int) -> date:
    # A samordningsnummer adds 60 to the day of birth.
    if day > 60:
        day -= 60
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidPersonalNumber("the date part is not a date") from exc


def normalize_personal_number(value: str, today: date | None = None) -> str:
    """Return the 12-digit form (YYYYMMDDNNNC) of a personnummer or samordningsnummer.

    Accepts 12 digits, 10 digits, and the forms with `-` or `+` (`+` for people aged 100 or
    more); the Luhn checksum and the date (day + 60 for samordningsnummer) are checked.
    """
    today = today or date.today()
    raw = "".join(value.split())
    plus = "+" in raw
    digits = raw.replace("-", "").replace("+", "")
    if not digits.isdigit() or len(digits) not in (10, 12):
        raise InvalidPersonalNumber("personnummer must have 10 or 12 digits")
    if len(digits) == 10:
        yy, month, day = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
        year = today.year - (today.year - yy) % 100  # the latest year ending in yy
        born = _birth_date(year, month, day) if year <= today.year else None
        if born is None or born > today:
            year -= 100
        if plus:
            year -= 100
        digits = f"{year:04d}{digits[2:]}"
    born = _birth_date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    if born > today:
        raise InvalidPersonalNumber("the date part is in the future")
    try:
        luhn.validate(digits[2:])
    except StdnumError as exc:
        raise InvalidPersonalNumber("invalid personnummer checksum") from exc
    return digits


def mask_personal_number(value: str | None) -> str:
    """A form safe for logs: birth date kept, the last four digits hidden."""
    if not value:
        return ""
    return value[:-4] + "****"


class InvalidPhoneNumber(ValueError):
    """The value is not a phone number that can receive SMS."""


def normalize_phone(value: str, region: str = "SE") -> str:
    """E.164 form (+46701234567); national numbers are read as Swedish."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
