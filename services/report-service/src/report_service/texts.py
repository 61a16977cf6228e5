"""The texts of reports (headers, names, reasons) in the orderer's language: Swedish, English."""

from typing import Any

ENGLISH: dict[str, str] = {
    "Ärenden": "Cases",
    "Statistik": "Statistics",
    "Handläggningstider": "Handling times",
    "Ärende id": "Case id",
    "Ärendetyp": "Case type",
    "Rubrik": "Title",
    "Status": "Status",
    "Skickades in": "Submitted",
    "Ändrades": "Changed",
    "Inskickat av": "Submitted by",
    "Namn": "Name",
    "Handläggare": "Handler",
    "Referens": "Reference",
    "Förvaltning": "Organization",
    "Verksamhetstyp": "Business area",
    "Datum": "Date",
    "Inskickad": "Submitted",
    "Fördelad": "Assigned",
    "Behandlas": "In progress",
    "Beslutad": "Decided",
    "Avslutad": "Closed",
    "Arkiverad": "Archived",
    "Gallrad": "Purged",
    "Totalt": "Total",
    "Period": "Period",
    "Inkomna": "Received",
    "Avslutade": "Closed",
    "Obesvarade": "Unanswered",
    "Inkom>Förd (timmar)": "Received>Assigned (hours)",
    "Förd>Påbörj (timmar)": "Assigned>Started (hours)",
    "Påbörj>Avsl (timmar)": "Started>Closed (hours)",
    "Handl tid (timmar)": "Handling time (hours)",
    "Anonym": "Anonymous",
    "Ja": "Yes",
    "Nej": "No",
    "Du har inte behörighet till ärendetypen.": "You do not have access to the case type.",
    "Ärendetjänsten svarade inte. Beställ rapporten igen.": "The case service did not answer. "
    "Order the report again.",
    "Rapporten kunde inte skapas: arbetet avbröts {attempts} gånger.": "The report could not "
    "be created: the work was interrupted {attempts} times.",
    "Rapporten kunde inte skapas på grund av ett internt fel.": "The report could not be "
    "created because of an internal error.",
    "Rapporten har fler ärenden än ett Excel-blad rymmer ({rows}). Välj ett kortare "
    "datumintervall.": "The report has more cases than an Excel sheet holds ({rows}). Choose a "
    "shorter date range.",
}


def translate(text: str, lang: str, **values: Any) -> str:
    result = ENGLISH.get(text, text) if lang == "en" else text
    return result.format(**values) if values else result
