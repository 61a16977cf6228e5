"""English for the texts of the 1177 and service-desk functions (F-AD-5..8): residents,
omvänt ärendeflöde, delsvar and motfråga, priority, category and internal tasks. Merged into
`gateway.i18n.ENGLISH`."""

ENGLISH: dict[str, str] = {
    # Navigation
    "Invånare": "Residents",
    "Skicka ärende till invånare": "Send a case to residents",
    # Residents (seed 002)
    "Här visas de invånare som är godkända för kommunikation med förvaltningen eller har en "
    "utdelad ärendetyp.": (
        "Residents approved for communication with the organization or holding a shared case type."
    ),
    "Visa": "Show",
    "Godkänn invånare eller dela ut ärendetyp": "Approve a resident or share a case type",
    "Personnummer": "Personal identity number",
    "ÅÅÅÅMMDD-NNNN": "YYYYMMDD-NNNN",
    "Hämta": "Look up",
    "Namnet är okänt": "Name unknown",
    "Invånaren är godkänd för kommunikation.": "The resident is approved for communication.",
    "Godkänn": "Approve",
    "Ärendetyp med begränsat urval": "Restricted case type",
    "Hur länge ska invånaren ha tillgång till ärendetypen?": (
        "How long should the resident have access to the case type?"
    ),
    "Tills vidare": "Until further notice",
    "tills vidare": "until further notice",
    "Till och med datum": "Until and including a date",
    "Datum": "Date",
    "Dela ut": "Share",
    "Godkända invånare och utdelade ärendetyper": "Approved residents and shared case types",
    "Markera": "Select",
    "Markera {name}": "Select {name}",
    "Godkänd för kommunikation": "Approved for communication",
    "Utdelade ärendetyper": "Shared case types",
    "till och med {date}": "until and including {date}",
    "Utgången": "Expired",
    "Ny sista dag för {case_type}": "New last day for {case_type}",
    "Ändra": "Change",
    "Ta bort": "Remove",
    "Ta bort markerade": "Remove selected",
    "Inga invånare är godkända och inga ärendetyper är utdelade.": (
        "No residents are approved and no case types are shared."
    ),
    "Godkännandet för kommunikation har tagits bort.": (
        "The approval for communication has been removed."
    ),
    "Ärendetypen har delats ut.": "The case type has been shared.",
    "Den utdelade ärendetypen har ändrats.": "The shared case type has been changed.",
    "Den utdelade ärendetypen är borttagen.": "The shared case type has been removed.",
    "Ange ett giltigt personnummer (ÅÅÅÅMMDD-NNNN).": (
        "Enter a valid personal identity number (YYYYMMDD-NNNN)."
    ),
    "Ange ett datum (ÅÅÅÅ-MM-DD) eller välj tills vidare.": (
        "Enter a date (YYYY-MM-DD) or choose until further notice."
    ),
    "Markera minst en invånare.": "Select at least one resident.",
    "Din roll ger inte behörighet att hantera invånare i förvaltningen.": (
        "Your role does not allow managing residents of the organization."
    ),
    "Förvaltningen {organization} finns inte.": "The organization {organization} does not exist.",
    "Ärendetypen {case_type} finns inte i förvaltningen.": (
        "The case type {case_type} does not exist in the organization."
    ),
    "Ärendetypen {case_type} har inte begränsat urval.": (
        "The case type {case_type} is not restricted."
    ),
    "Sista dagen för en utdelning kan inte ha passerat.": (
        "The last day of a share cannot have passed."
    ),
    "Utdelningen finns inte.": "The share does not exist.",
    # Omvänt ärendeflöde (seed 001)
    "Skicka ett meddelande eller en fråga till högst {limit} invånare. Varje mottagare får ett "
    "eget ärende som de kan svara i.": (
        "Send a message or a question to at most {limit} residents. Each recipient gets a case of "
        "their own that they can answer in."
    ),
    "Ärendet har skickats till {count} mottagare.": "The case has been sent to {count} recipients.",
    "Ärende {id}": "Case {id}",
    "Välj ärendetyp": "Choose a case type",
    "Mottagare": "Recipients",
    "Ett personnummer per rad, högst {limit}.": (
        "One personal identity number per line, at most {limit}."
    ),
    "Rubrik": "Title",
    "Meddelande": "Message",
    "Visas för invånaren i Mina sidor.": "Shown to the resident on My pages.",
    "Skicka": "Send",
    "Rubrik måste anges.": "A title is required.",
    "Meddelande måste anges.": "A message is required.",
    "Välj en ärendetyp.": "Choose a case type.",
    "Du kan skicka till högst {limit} mottagare åt gången. Du angav {count}. Dela upp utskicket.": (
        "You can send to at most {limit} recipients at a time. You gave {count}. Split the send."
    ),
    "Ange minst en mottagare.": "Give at least one recipient.",
    "Mottagare nummer {position} har inte ett giltigt personnummer.": (
        "Recipient number {position} does not have a valid personal identity number."
    ),
    "Ärendetypen {case_type} finns inte eller så saknar du behörighet.": (
        "The case type {case_type} does not exist or you do not have access to it."
    ),
    "Ärendetypen {case_type} är inte aktiv.": "The case type {case_type} is not active.",
    "Ärendetypen {case_type} är till för anställda, inte invånare.": (
        "The case type {case_type} is for employees, not residents."
    ),
    # Delsvar and motfråga
    "Typ av uppdatering": "Kind of update",
    "Uppdatering": "Update",
    "Delsvar": "Partial answer",
    "Motfråga": "Counter-question",
    "Ett besked till användaren innan ärendet är klart.": (
        "A word to the submitter before the case is done."
    ),
    "Användaren kan svara i samma ärende. Status blir Väntar på komplettering tills användaren "
    "svarar.": (
        "The submitter can answer in the same case. The status becomes Awaiting the submitter "
        "until they answer."
    ),
    "Väntar på användaren sedan": "Awaiting the submitter since",
    "Ett delsvar eller en motfråga behöver ett meddelande till användaren.": (
        "A partial answer or counter-question needs a message to the submitter."
    ),
    "Ärendet är avslutat. Ändra först status med Uppdatera.": (
        "The case is closed. Change its status with Update first."
    ),
    "En motfråga sätter själv status Väntar på komplettering.": (
        "A counter-question sets the status Awaiting the submitter itself."
    ),
    "Användaren kan inte svara i det här ärendet, så en motfråga kan inte skickas.": (
        "The submitter cannot answer in this case, so a counter-question cannot be sent."
    ),
    # Priority and category
    "Prioritet": "Priority",
    "Kategori": "Category",
    "Låg": "Low",
    "Medel": "Medium",
    "Hög": "High",
    "Hög prioritet": "High priority",
    "Låg prioritet": "Low priority",
    "Spara": "Save",
    "Prioritet och kategori": "Priority and category",
    "Prioritet och kategori har sparats.": "Priority and category have been saved.",
    # Internal tasks (seed 004)
    "Ny uppgift": "New task",
    "Interna uppgifter": "Internal tasks",
    "En uppgift är intern och syns aldrig för användaren. Ärendets handläggare ändras inte.": (
        "A task is internal and never shown to the submitter. The case's handler does not change."
    ),
    "Beskrivning": "Description",
    "Tilldela": "Assign to",
    "Ingen ännu": "Nobody yet",
    "Skapa uppgift": "Create task",
    "för {who}": "for {who}",
    "för gruppen {group}": "for the group {group}",
    "Klar": "Done",
    "Öppen": "Open",
    "Skapad av {who}": "Created by {who}",
    "Markera som klar": "Mark as done",
    "Uppgift": "Task",
    "Du har en öppen uppgift i ärendet": "You have an open task in the case",
    "Uppgiften har skapats.": "The task has been created.",
    "Uppgiften är markerad som klar.": "The task is marked as done.",
    "Ange en handläggare eller en handläggargrupp, inte båda.": (
        "Give a handler or a handler group, not both."
    ),
    "Uppgiften finns inte.": "The task does not exist.",
    "Handläggargrupper": "Handler groups",
    "Handläggaren {assignee} finns inte eller har inte behörighet till ärendet.": (
        "The handler {assignee} does not exist or has no access to the case."
    ),
    "Handläggargruppen {group} finns inte.": "The handler group {group} does not exist.",
}
