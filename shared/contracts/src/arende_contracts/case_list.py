"""The parameters of the case list (SPEC §4 `GET /api/v1/cases`, F-LI-1..4).

The gateway validates them for its callers and case-service for the gateway: one definition.
"""

from typing import Literal, get_args

from arende_contracts.statuses import CaseStatus

View = Literal["mine", "all", "archived"]
# `updated_at` (Ändrades) first: the list's default.
Sort = Literal["updated_at", "submitted_at", "title", "status", "reference", "submitter", "id"]
Order = Literal["desc", "asc"]
# Prioritet (F-AD-6): låg, medel (the default of every case), hög.
Priority = Literal["low", "medium", "high"]
# A status code, `open` ("Alla (ej Avslutad)": every status but Avslutad and Avslutad av
# användaren, the default) or `any`.
StatusFilter = Literal[
    "open",
    "any",
    "submitted",
    "awaiting_handling",
    "assigned",
    "in_progress",
    "decided",
    "closed",
    "complemented",
    "closed_by_user",
    "awaiting_submitter",
    "archived",
]

DEFAULT_LIMIT = 25
MAX_LIMIT = 200
MAX_QUERY_LENGTH = 200
MAX_CURSOR_LENGTH = 2000
MAX_CODE_LENGTH = 200

assert set(get_args(StatusFilter)) == {"open", "any"} | {s.value for s in CaseStatus}
