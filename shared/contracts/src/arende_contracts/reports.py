"""What the gateway and report-service agree on about reports (F-RE-1..3)."""

from typing import Literal

ReportKind = Literal["cases", "statistics"]
ReportStatus = Literal["ordered", "done", "failed"]
Period = Literal["day", "month", "year"]

# Exports with form data hold at most this many cases (F-RE-2); without form data no limit.
FORM_DATA_LIMIT = 5000

REPORT_STATUS_LABELS: dict[str, dict[str, str]] = {
    "sv": {"ordered": "Beställd", "done": "Klar", "failed": "Misslyckad"},
    "en": {"ordered": "Ordered", "done": "Ready", "failed": "Failed"},
}

_LIMIT_MESSAGES = {
    "sv": (
        "Din sökning genererade {count} träffar vilket överskrider det maximalt tillåtna {limit}. "
        "Vänligen justera datumintervallet för att reducera antalet träffar."
    ),
    "en": (
        "Your search returned {count} hits, which exceeds the maximum of {limit}. Please adjust "
        "the date range to reduce the number of hits."
    ),
}


def limit_message(count: int, limit: int = FORM_DATA_LIMIT, lang: str = "sv") -> str:
    """The refusal of an export with form data above the limit, with the real count."""
    return _LIMIT_MESSAGES.get(lang, _LIMIT_MESSAGES["sv"]).format(count=count, limit=limit)


def report_name(kind: ReportKind, case_type_name: str, name: str) -> str:
    """The report's name by the guide's rule: "Ärenden - <typ>: <namn>" or "Statistik - <typ>:
    <namn>" (without ": <namn>" when the orderer gave none)."""
    prefix = "Ärenden" if kind == "cases" else "Statistik"
    name = name.strip()
    return f"{prefix} - {case_type_name}: {name}" if name else f"{prefix} - {case_type_name}"
