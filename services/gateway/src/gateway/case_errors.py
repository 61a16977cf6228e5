"""case-service's refusals in the caller's language.

case-service names each refusal with a stable code (`x-error-code`) and the values its message
needs (`x-error-values`); here each code has its Swedish text, translated like every other
text of the gateway (i18n.ENGLISH).
"""

import json
import logging
from typing import Any

import httpx

from gateway.errors import AppError

log = logging.getLogger(__name__)

CASE_NOT_FOUND = "Ärendet finns inte eller så saknar du behörighet till det."
ARCHIVED = "Ärendet är arkiverat och kan inte ändras."
OUTREACH_TOO_MANY = (
    "Du kan skicka till högst {limit} mottagare åt gången. Du angav {count}. Dela upp utskicket."
)

MESSAGES: dict[str, str] = {
    "case_not_found": CASE_NOT_FOUND,
    "attachment_not_found": "Bilagan finns inte.",
    "archived": ARCHIVED,
    "role": "Din roll ger inte behörighet att göra detta i ärendet.",
    "closed_case": "Ett avslutat ärende kan inte fördelas. Ändra först status med Uppdatera.",
    "already_closed": "Ärendet är redan avslutat.",
    "not_employee_case": (
        "Användaren kan bara bytas i interna ärenden som skickats in med staden-konto."
    ),
    "not_complemented": "Det finns ingen komplettering från användaren att kvittera.",
    "too_many_files": "Högst {limit} filer kan bifogas.",
    "invalid_file": "Filen {filename} kunde inte läsas.",
    "file_too_large": "Filen {filename} är för stor. Största tillåtna storlek är {limit_mb} MB.",
    "file_empty": "Filen {filename} är tom.",
    "file_executable": "Filen {filename} är ett program eller skript och kan inte bifogas.",
    "file_macros": "Filen {filename} innehåller makron och kan inte bifogas.",
    "file_unknown_type": (
        "Filen {filename} har en filtyp som inte är tillåten. Tillåtna är PDF, bilder (PNG, "
        "JPEG, GIF), Word- och Excel-dokument samt text- och CSV-filer."
    ),
    "admin_required": "Administratörsbehörighet krävs",
    # Delsvar and motfråga (F-AD-8)
    "answer_needs_message": "Ett delsvar eller en motfråga behöver ett meddelande till användaren.",
    "answer_on_closed": "Ärendet är avslutat. Ändra först status med Uppdatera.",
    "counter_question_status": "En motfråga sätter själv status Väntar på komplettering.",
    "counter_question_one_way": (
        "Användaren kan inte svara i det här ärendet, så en motfråga kan inte skickas."
    ),
    # Internal tasks (F-AD-6)
    "task_one_target": "Ange en handläggare eller en handläggargrupp, inte båda.",
    "task_not_found": "Uppgiften finns inte.",
    # Residents (F-AD-5)
    "residents_role": "Din roll ger inte behörighet att hantera invånare i förvaltningen.",
    "unknown_organization": "Förvaltningen {organization} finns inte.",
    "share_unknown_case_type": "Ärendetypen {case_type} finns inte i förvaltningen.",
    "share_not_restricted": "Ärendetypen {case_type} har inte begränsat urval.",
    "share_until_past": "Sista dagen för en utdelning kan inte ha passerat.",
    "share_not_found": "Utdelningen finns inte.",
    # Omvänt ärendeflöde (F-AD-7)
    "outreach_unknown_case_type": (
        "Ärendetypen {case_type} finns inte eller så saknar du behörighet."
    ),
    "outreach_inactive": "Ärendetypen {case_type} är inte aktiv.",
    "outreach_internal": "Ärendetypen {case_type} är till för anställda, inte invånare.",
    "outreach_too_many": OUTREACH_TOO_MANY,
    "outreach_no_recipients": "Ange minst en mottagare.",
    "invalid_cursor": "Ogiltig begäran",
    "naive_time": "Ogiltig begäran",
}


NOT_ALLOWED = "Åtgärden kan inte utföras på ärendet just nu."


def action_refusal(case: dict[str, Any], action: str) -> AppError | None:
    """Why the caller may not take `action` now, from the `actions` and `refused` codes that
    case-service answers with a case (or its scope); None when they may."""
    if action in case.get("actions", []):
        return None
    code = case.get("refused", {}).get(action)
    if code in MESSAGES:
        return AppError(403 if code == "role" else 409, MESSAGES[code])
    return AppError(409, NOT_ALLOWED)


def refusal(response: httpx.Response) -> AppError | None:
    """The AppError of a coded refusal from case-service, or None for any other error."""
    message = MESSAGES.get(response.headers.get("x-error-code", ""))
    if message is None:
        return None
    try:
        values = json.loads(response.headers.get("x-error-values") or "{}")
        if not isinstance(values, dict):
            values = {}
        error = AppError(response.status_code, message, **values)
    except (ValueError, KeyError, IndexError):
        log.warning("case-service refusal without its values", extra={"code": message})
        return None
    return error
