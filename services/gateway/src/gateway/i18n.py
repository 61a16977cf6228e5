"""UI and error texts: Swedish is the source text, English its translation.

A text is looked up by its Swedish wording (as gettext does with msgids), so templates read as
the caseworker guide does. Add the English line here whenever a new Swedish text appears.
"""

from collections.abc import Callable
from typing import Any

from arende_contracts.statuses import status_label

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
LANG_COOKIE = "lang"

ENGLISH: dict[str, str] = {
    # Layout
    "Handläggarstöd": "Caseworker support",
    "Hoppa till innehållet": "Skip to content",
    "Inloggad som {name}": "Signed in as {name}",
    "Logga ut": "Sign out",
    "Språk": "Language",
    # Login
    "Inloggning": "Sign in",
    "Användarnamn": "Username",
    "Lösenord": "Password",
    "Logga in": "Sign in",
    "Felaktigt användarnamn eller lösenord": "Incorrect username or password",
    "Du har loggats ut.": "You have been signed out.",
    "Din session har gått ut. Logga in igen.": "Your session has expired. Please sign in again.",
    # Case lists
    "Ärendeöversikt": "Case overview",
    "Mina ärenden": "My cases",
    "Alla ärenden": "All cases",
    "Arkiverade ärenden": "Archived cases",
    "Ärenden som är fördelade till dig.": "Cases assigned to you.",
    "Ärenden du har tillgång till.": "Cases you have access to.",
    "Arkiverade ärenden du har tillgång till.": "Archived cases you have access to.",
    "Ärende": "Case",
    "Status": "Status",
    "Referens": "Reference",
    "Inskickat av": "Submitted by",
    "Skickades in": "Submitted",
    "Ändrades": "Changed",
    "Anonym": "Anonymous",
    "Kompletterad av användaren": "Complemented by the submitter",
    "Det finns inga ärenden att visa.": "There are no cases to show.",
    "Visar {shown} av {total} ärenden": "Showing {shown} of {total} cases",
    "Nästa sida": "Next page",
    "Första sidan": "First page",
    "Sidor": "Pages",
    # Case view
    "Ärende id": "Case id",
    "Handläggare": "Handler",
    "Uppdaterades": "Updated",
    "Förvaltning": "Organization",
    "Inskickade uppgifter": "Submitted information",
    "Inga uppgifter": "No information",
    "Ja": "Yes",
    "Nej": "No",
    # Errors (web and API)
    "Sidan finns inte": "Page not found",
    "Ärendet finns inte eller så saknar du behörighet till det.": (
        "The case does not exist or you do not have access to it."
    ),
    "Något gick fel": "Something went wrong",
    "Ogiltig begäran": "Invalid request",
    "Formuläret har gått ut eller skickades från en annan sida. Försök igen.": (
        "The form has expired or was sent from another page. Please try again."
    ),
    "Inloggning krävs": "Authentication required",
    "Ogiltig eller utgången inloggning": "Invalid or expired credentials",
    "Administratörsbehörighet krävs": "Administrator rights required",
    "Ärendetjänsten svarar inte just nu. Försök igen om en stund.": (
        "The case service is not answering right now. Please try again shortly."
    ),
    "Ärendetjänsten kunde inte utföra begäran.": (
        "The case service could not carry out the request."
    ),
    "Användaren {username} finns redan": "The user {username} already exists",
    "Användaren finns inte": "The user does not exist",
    "Fältet {field} får inte vara tomt": "The field {field} cannot be empty",
    "Okänd förvaltning: {organization}": "Unknown organization: {organization}",
    "Okänd ärendetyp {case_type} i förvaltningen {organization}": (
        "Unknown case type {case_type} in the organization {organization}"
    ),
    "Samma roll i samma förvaltning förekommer flera gånger: {organization} {role}": (
        "The same role in the same organization appears more than once: {organization} {role}"
    ),
    "Du kan inte inaktivera eller ta bort behörigheter från ditt eget konto": (
        "You cannot deactivate your own account or remove its administrator rights"
    ),
    "CSRF-token saknas eller är fel": "CSRF token missing or wrong",
}


def translate(text: str, lang: str, **values: Any) -> str:
    """`text` (Swedish) in `lang`, with `{placeholders}` filled from `values`."""
    if lang == "en":
        text = ENGLISH.get(text, text)
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """`translate` bound to one language, for templates and handlers."""

    def t(text: str, **values: Any) -> str:
        return translate(text, lang, **values)

    return t


def status_text(status: str, lang: str) -> str:
    """The label of a status code; an unknown code is shown as it is."""
    try:
        return str(status_label(status, lang))
    except ValueError:
        return status


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: `?lang=`, then the cookie, then Accept-Language, then Swedish."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q > best_q:
            best, best_q = primary, q
    return best
