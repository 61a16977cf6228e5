"""Refusals the gateway can translate: an HTTP error with a stable code and its values.

The detail stays English for logs and direct callers; `x-error-code` names the refusal and
`x-error-values` (ASCII JSON) carries what the caller's message needs, so the gateway can answer
in the caller's language without parsing English text.
"""

import json
from typing import Any

from fastapi import HTTPException


class CaseError(HTTPException):
    """A refused request about a case, e.g. `archived` (409) or `role` (403)."""

    def __init__(self, status_code: int, code: str, detail: str, **values: Any) -> None:
        headers = {"x-error-code": code}
        if values:
            headers["x-error-values"] = json.dumps(values, ensure_ascii=True)
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.code = code
        self.values = values


def case_not_found() -> CaseError:
    return CaseError(404, "case_not_found", "case not found")
