"""Swedish personal identity numbers (personnummer and samordningsnummer)."""

from datetime import date

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import personnummer


class InvalidPersonalNumber(ValueError):
    """The value is not a valid personnummer or samordningsnummer."""


def normalize_personal_number(value: str, today: date | None = None) -> str:
    """Return the 12-digit form (YYYYMMDDNNNC) of a personnummer or samordningsnummer.

    Accepts 12 digits, 10 digits, and the forms with `-` or `+` (the latter for people
    aged 100 or more); the checksum and the date (day + 60 for samordningsnummer) are checked.
    """
    raw = "".join(value.split())
    century_hint = "+" if "+" in raw else None
    digits = raw.replace("-", "").replace("+", "")
    if not digits.isdigit() or len(digits) not in (10, 12):
        raise InvalidPersonalNumber("personnummer must have 10 or 12 digits")
    if len(digits) == 10:
        try:
            formatted = personnummer.compact(digits[:6] + (century_hint or "-") + digits[6:])
            born = personnummer.get_birth_date(formatted)
        except StdnumError as exc:
            raise InvalidPersonalNumber(str(exc)) from exc
        digits = f"{born.year:04d}" + digits[2:]
    try:
        luhn.validate(digits[2:])
        personnummer.validate(digits)
    except StdnumError as exc:
        raise InvalidPersonalNumber("invalid personnummer checksum or date") from exc
    return digits


def mask_personal_number(value: str | None) -> str:
    """A form safe for logs: birth date kept, the last four digits hidden."""
    if not value:
        return ""
    return value[:-4] + "****"
