"""Case statuses: the codes of SPEC §2 and the labels caseworkers know."""

from enum import StrEnum


class CaseStatus(StrEnum):
    """Status of a case; the value is the code used in APIs and events."""

    SUBMITTED = "submitted"
    AWAITING_HANDLING = "awaiting_handling"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DECIDED = "decided"
    CLOSED = "closed"
    COMPLEMENTED = "complemented"
    CLOSED_BY_USER = "closed_by_user"
    AWAITING_SUBMITTER = "awaiting_submitter"
    ARCHIVED = "archived"


STATUS_LABELS: dict[str, dict[CaseStatus, str]] = {
    "sv": {
        CaseStatus.SUBMITTED: "Inskickad",
        CaseStatus.AWAITING_HANDLING: "Inväntar handläggning",
        CaseStatus.ASSIGNED: "Fördelad",
        CaseStatus.IN_PROGRESS: "Behandlas",
        CaseStatus.DECIDED: "Beslutad",
        CaseStatus.CLOSED: "Avslutad",
        CaseStatus.COMPLEMENTED: "Kompletterad av användaren",
        CaseStatus.CLOSED_BY_USER: "Avslutad av användaren",
        CaseStatus.AWAITING_SUBMITTER: "Väntar på komplettering",
        CaseStatus.ARCHIVED: "Arkiverad",
    },
    "en": {
        CaseStatus.SUBMITTED: "Submitted",
        CaseStatus.AWAITING_HANDLING: "Awaiting handling",
        CaseStatus.ASSIGNED: "Assigned",
        CaseStatus.IN_PROGRESS: "In progress",
        CaseStatus.DECIDED: "Decided",
        CaseStatus.CLOSED: "Closed",
        CaseStatus.COMPLEMENTED: "Complemented by the submitter",
        CaseStatus.CLOSED_BY_USER: "Closed by the submitter",
        CaseStatus.AWAITING_SUBMITTER: "Awaiting the submitter",
        CaseStatus.ARCHIVED: "Archived",
    },
}

CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.CLOSED_BY_USER})


def status_label(status: CaseStatus | str, lang: str = "sv") -> str:
    """The UI label of a status in the given language (Swedish by default)."""
    labels = STATUS_LABELS.get(lang, STATUS_LABELS["sv"])
    return labels[CaseStatus(status)]
