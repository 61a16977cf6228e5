"""UI and error texts: Swedish is the source text, English its translation.

A text is looked up by its Swedish wording (as gettext does with msgids), so templates read as
the caseworker guide does. Add the English line here whenever a new Swedish text appears.
"""

from collections.abc import Callable
from typing import Any

from arende_contracts.statuses import status_label
from gateway.i18n_personal import ENGLISH as PERSONAL_ENGLISH
from gateway.i18n_service_desk import ENGLISH as SERVICE_DESK_ENGLISH

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
    # Single sign-on (gateway.auth.oidc)
    "Logga in med {label}": "Sign in with {label}",
    "Inloggningen kunde inte kopplas till en påbörjad inloggning. Försök igen.": (
        "The sign-in could not be matched to one that was started here. Please try again."
    ),
    "Inloggningen har gått ut. Försök igen.": "The sign-in has expired. Please try again.",
    "Inloggningen avbröts hos inloggningstjänsten.": (
        "The sign-in was cancelled at the identity provider."
    ),
    "Inloggningstjänsten svarar inte. Försök igen senare eller logga in med lösenord.": (
        "The identity provider does not answer. Try again later or sign in with a password."
    ),
    "Svaret från inloggningstjänsten kunde inte verifieras. Försök igen.": (
        "The identity provider's answer could not be verified. Please try again."
    ),
    "Det finns inget aktivt konto för {username} i Handläggarstöd. Kontakta din administratör.": (
        "There is no active account for {username} in Caseworker support. Contact your "
        "administrator."
    ),
    "Inloggningstjänsten skickade inget användarnamn. Kontakta din administratör.": (
        "The identity provider sent no username. Contact your administrator."
    ),
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
    # Case lists: search, filters, sorting, paging (F-LI-2..4)
    "Sök och filtrera": "Search and filter",
    "Sök ärende": "Search cases",
    "Sök ärende...": "Search cases...",
    "Detaljerad sökning": "Detailed search",
    "Sök": "Search",
    "Rensa sökning och filter": "Clear search and filters",
    "Alla": "All",
    "Alla (ej Avslutad)": "All (not Closed)",
    "Verksamhetstyp": "Business area",
    "Filtrera i listan": "Filter the list",
    "Skriv det du vill filtrera på...": "Type what you want to filter on...",
    "Filtrerar bara ärendena på den här sidan.": "Filters only the cases on this page.",
    "{shown} av {total} ärenden på sidan visas": "{shown} of {total} cases on this page shown",
    'Grundläggande sökning på "{q}" resulterade i {total} ärenden.': (
        'Basic search for "{q}" found {total} cases.'
    ),
    'Grundläggande sökning på "{q}" resulterade i cirka {total} ärenden.': (
        'Basic search for "{q}" found about {total} cases.'
    ),
    'Detaljerad sökning på "{q}" resulterade i {total} ärenden.': (
        'Detailed search for "{q}" found {total} cases.'
    ),
    'Detaljerad sökning på "{q}" resulterade i cirka {total} ärenden.': (
        'Detailed search for "{q}" found about {total} cases.'
    ),
    (
        "Den grundläggande sökningen är designad för att vara snabb och söker endast på utvalda "
        'fält i ärendet. Om du vill söka på alla fält i ärendet klickar du på "Detaljerad sökning".'
    ): (
        "The basic search is designed to be fast and searches only selected fields of the case. "
        'To search all fields of the case, click "Detailed search".'
    ),
    "Observera att en detaljerad sökning kan ta lång tid.": (
        "Note that a detailed search can take a long time."
    ),
    "Visar {shown} av cirka {total} ärenden": "Showing {shown} of about {total} cases",
    "{view}, sorterade efter {column}, {direction}": "{view}, sorted by {column}, {direction}",
    "fallande": "descending",
    "stigande": "ascending",
    "sortera fallande": "sort descending",
    "sortera stigande": "sort ascending",
    "Föregående sida": "Previous page",
    "Ogiltig cursor. Börja om från första sidan.": (
        "Invalid cursor. Start again from the first page."
    ),
    # Case view
    "Ärende id": "Case id",
    "Handläggare": "Handler",
    "Uppdaterades": "Updated",
    "Förvaltning": "Organization",
    "Ärendetyp": "Case type",
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
    # Case view (F-CV-1)
    "Handläggargrupp": "Handler group",
    "Annan användare": "Other user",
    "Åtgärder": "Actions",
    "Ärendets flikar": "Case tabs",
    "Senaste händelserna": "Latest events",
    "Hela tidslinjen": "Full timeline",
    "Bilagor": "Attachments",
    "Intern": "Internal",
    "Notifierad": "Notified",
    "Det finns inga händelser.": "There are no events.",
    "Det finns inga bilagor.": "There are no attachments.",
    "Till sidans topp": "To the top of the page",
    "Tillbaka till ärendet": "Back to the case",
    "och": "and",
    # Case actions and their dialogs (F-CV-2..7, F-TW-1)
    "Fördela": "Assign",
    "Uppdatera": "Update",
    "Avsluta": "Close",
    "Byt användare": "Switch user",
    "Kvittera": "Acknowledge",
    "Spara": "Save",
    "Avbryt": "Cancel",
    "Fördela ärende": "Assign case",
    "Uppdatera ärende": "Update case",
    "Avsluta ärende": "Close case",
    "Byt användare som skickat in ärendet": "Switch the user who submitted the case",
    "Obligatorisk": "Required",
    "Välj handläggare": "Choose a handler",
    "Listan innehåller alla handläggare som har behörighet att arbeta med ärendet.": (
        "The list contains every handler who is allowed to work with the case."
    ),
    "Inaktivera eventuell notifikation till användaren": "Disable any notification to the user",
    "Välj status": "Choose status",
    "Oförändrad ({status})": "Unchanged ({status})",
    "Händelsens rubrik": "Event title",
    "Händelsens rubrik (Både extern och intern)": "Event title (both external and internal)",
    "Meddelande till användaren": "Message to the user",
    "Visas även för användaren i Mina sidor.": "Also shown to the user in My pages.",
    "Internt meddelande": "Internal message",
    "Lagras som en intern händelse som inte syns för användaren.": (
        "Stored as an internal event that the user does not see."
    ),
    "Välj fil": "Choose file",
    "1 till max 3 filer: PDF, bilder, Word- och Excel-dokument, text- och CSV-filer.": (
        "1 to at most 3 files: PDF, images, Word and Excel documents, text and CSV files."
    ),
    "Ärendets referens": "Case reference",
    "Bytet innebär endast att den nya användaren kan komma åt ärendet i Mina ärenden.": (
        "The switch only means that the new user can access the case in My cases."
    ),
    "Obs! Det är viktigt att ange korrekta uppgifter här då det inte görs någon kontroll av "
    "dessa.": "Note! It is important to enter correct details here as they are not checked.",
    "Ny användare": "New user",
    "Byt till användaren med staden-konto": "Switch to the user with the city account",
    "Den nya användarens för- och efternamn": "First and last name of the new user",
    "Staden-konto för annan användare som kan komma åt ärendet": (
        "City account of another user who may access the case"
    ),
    "För- och efternamn för annan användare som kan komma åt ärendet": (
        "First and last name of another user who may access the case"
    ),
    "Staden-konto för användare": "City account of the user",
    "För- och efternamn": "First and last name",
    # Confirmations after an action
    "Ärendet fördelat": "Case assigned",
    "Ärendet fördelat och notifiering har skickats till {recipients}.": (
        "Case assigned and a notification has been sent to {recipients}."
    ),
    "Ärendet uppdaterat": "Case updated",
    "Ärendet uppdaterat och notifiering har skickats till {recipients}.": (
        "Case updated and a notification has been sent to {recipients}."
    ),
    "Ärendet avslutat": "Case closed",
    "Ärendets referens har uppdaterats.": "The case reference has been updated.",
    "Ärendets användare har ändrats.": "The case's user has been changed.",
    "Kompletteringen har kvitterats.": "The complement has been acknowledged.",
    "Kompletteringen har kvitterats och notifiering har skickats till {recipients}.": (
        "The complement has been acknowledged and a notification has been sent to {recipients}."
    ),
    # Refusals of case actions
    "Händelsens rubrik måste anges.": "The event title is required.",
    "Kontrollera fältet {field}.": "Check the field {field}.",
    "Åtgärden kan inte utföras på ärendet just nu.": (
        "The action cannot be performed on the case right now."
    ),
    "Bilagan finns inte.": "The attachment does not exist.",
    "Ärendet är arkiverat och kan inte ändras.": "The case is archived and cannot be changed.",
    "Din roll ger inte behörighet att göra detta i ärendet.": (
        "Your role does not allow you to do this on the case."
    ),
    "Ett avslutat ärende kan inte fördelas. Ändra först status med Uppdatera.": (
        "A closed case cannot be assigned. First change its status with Update."
    ),
    "Ärendet är redan avslutat.": "The case is already closed.",
    "Användaren kan bara bytas i interna ärenden som skickats in med staden-konto.": (
        "The user can only be switched on internal cases submitted with a city account."
    ),
    "Det finns ingen komplettering från användaren att kvittera.": (
        "There is no complement from the user to acknowledge."
    ),
    "Högst {limit} filer kan bifogas.": "At most {limit} files can be attached.",
    "Filen {filename} kunde inte läsas.": "The file {filename} could not be read.",
    "Filen {filename} är för stor. Största tillåtna storlek är {limit_mb} MB.": (
        "The file {filename} is too large. The largest allowed size is {limit_mb} MB."
    ),
    "Filen {filename} är tom.": "The file {filename} is empty.",
    "Filen {filename} är ett program eller skript och kan inte bifogas.": (
        "The file {filename} is a program or script and cannot be attached."
    ),
    "Filen {filename} innehåller makron och kan inte bifogas.": (
        "The file {filename} contains macros and cannot be attached."
    ),
    "Filen {filename} har en filtyp som inte är tillåten. Tillåtna är PDF, bilder (PNG, JPEG, "
    "GIF), Word- och Excel-dokument samt text- och CSV-filer.": (
        "The file {filename} is of a type that is not allowed. Allowed are PDF, images (PNG, "
        "JPEG, GIF), Word and Excel documents, and text and CSV files."
    ),
    "Ange antingen en handläggare eller en handläggargrupp.": (
        "Give either a handler or a handler group."
    ),
    "Handläggaren {handler} finns inte eller har inte behörighet till ärendet.": (
        "The handler {handler} does not exist or is not allowed to work with the case."
    ),
    "Handläggargruppen {group} finns inte.": "The handler group {group} does not exist.",
    "Ange både staden-konto och namn för den andra användaren, eller inget av dem.": (
        "Give both the city account and the name of the other user, or neither."
    ),
    # Gallring (retention-service; gateway/retention/)
    "Gallring": "Retention",
    "Ärenden arkiveras och gallras varje natt enligt ärendetypens inställningar. En provkörning "
    "visar vad som skulle arkiveras och gallras nu, utan att ändra något.": (
        "Cases are archived and purged every night by their case type's settings. A dry run "
        "shows what would be archived and purged now, without changing anything."
    ),
    "Körningen är klar.": "The run has finished.",
    "Provkör gallring": "Dry run",
    "Kör gallring nu": "Run retention now",
    "Körningar": "Runs",
    "Inga körningar ännu.": "No runs yet.",
    "Startad": "Started",
    "Klar": "Finished",
    "Typ": "Kind",
    "Startad av": "Started by",
    "Arkiverade": "Archived",
    "Gallrade": "Purged",
    "Kvarhållna": "On legal hold",
    "Nekade (gallringsbeslut saknas)": "Refused (no retention decision)",
    "Hoppades över": "Skipped",
    "Provkörning": "Dry run",
    "Schemalagd": "Scheduled",
    "Pågår": "Running",
    "Misslyckad": "Failed",
    "Regler och gallringsbeslut": "Rules and retention decisions",
    "Gallringsbeslut": "Retention decision",
    "Arkiveras efter (dagar)": "Archived after (days)",
    "Gallras efter (dagar)": "Purged after (days)",
    "Saknas": "Missing",
    "Bekräftad gallring per tjänst": "Purge confirmed per service",
    "Utgångna delningar gallrade": "Expired shares purged",
    "Invånarloggposter gallrade": "Resident log entries purged",
    "Utgångna delningar och invånarloggen (godkännanden och delningar) gallras efter {days} "
    "dagar.": "Expired shares and the resident log (approvals and shares) are purged after "
    "{days} days.",
    "En gallringskörning pågår redan. Försök igen när den är klar.": (
        "A retention run is already in progress. Try again when it has finished."
    ),
    "Gallringstjänsten svarar inte just nu. Försök igen om en stund.": (
        "The retention service is not answering right now. Try again in a while."
    ),
    "Gallringstjänsten kunde inte utföra begäran.": "The retention service could not do that.",
    "Ärendet har inget rättsligt kvarhållande.": "The case has no legal hold.",
    # Reports and statistics (issue 6)
    "Exportera till Excel": "Export to Excel",
    "Tillbaka": "Back",
    "obligatoriskt": "required",
    "Välj ärendetyp": "Choose a case type",
    "Vill du inkludera ärendets formulärdata?": "Do you want to include the cases' form data?",
    "Med formulärdata kan högst 5000 ärenden exporteras.": (
        "With form data at most 5000 cases can be exported."
    ),
    "Visa ärenden per:": "Show cases per:",
    "Dag": "Day",
    "Månad": "Month",
    "År": "Year",
    "Från datum": "From date",
    "Till datum": "To date",
    "Namnge din rapport": "Name your report",
    "Exportera": "Export",
    "Rapporten är beställd": "The report has been ordered",
    (
        "Exporten sker i bakgrunden. Du kan arbeta vidare under tiden. När exporten är klar "
        "finns rapporten under Rapporter."
    ): (
        "The export runs in the background. You can keep working meanwhile. When it is done, "
        "the report is under Reports."
    ),
    "Till Rapporter": "To Reports",
    "Rapporter": "Reports",
    "Rapporter som du har beställt genom Exportera till Excel.": (
        "Reports you have ordered with Export to Excel."
    ),
    "Rapporten är borttagen.": "The report has been deleted.",
    "Beställd": "Ordered",
    "Rapport": "Report",
    "Antal ärenden": "Number of cases",
    "Formulärdata": "Form data",
    "Ta bort": "Delete",
    "Ej arkiverade": "Not archived",
    "{done} av {total} ärenden": "{done} of {total} cases",
    "{done} ärenden": "{done} cases",
    "Du har inga rapporter.": "You have no reports.",
    "Statistik": "Statistics",
    "Ärenden du har tillgång till": "Cases you have access to",
    "Filtrera statistiken": "Filter the statistics",
    "Visa": "Show",
    "Antal ärenden per ärendetyp och status": "Number of cases per case type and status",
    "Inskickad": "Submitted",
    "Fördelad": "Assigned",
    "Behandlas": "In progress",
    "Beslutad": "Decided",
    "Avslutad": "Closed",
    "Arkiverad": "Archived",
    "Gallrad": "Purged",
    "Totalt": "Total",
    "Antal ärenden per period och status": "Number of cases per period and status",
    "Datum": "Date",
    "Handläggningstider": "Handling times",
    "Inkomna": "Received",
    "Avslutade": "Closed",
    "Obesvarade": "Unanswered",
    "Inkom>Förd": "Received>Assigned",
    "Förd>Påbörj": "Assigned>Started",
    "Påbörj>Avsl": "Started>Closed",
    "Handl tid": "Handling time",
    (
        "Inkom>Förd, Förd>Påbörj, Påbörj>Avsl och Handl tid är genomsnitt i timmar. "
        "Obesvarade: ärenden med statusändring i perioden som inte avslutats inom 10 dagar "
        "från att de kom in."
    ): (
        "Received>Assigned, Assigned>Started, Started>Closed and Handling time are averages "
        "in hours. Unanswered: cases with a status change in the period that were not closed "
        "within 10 days of arrival."
    ),
    "Rapporttjänsten svarar inte just nu. Försök igen om en stund.": (
        "The report service is not answering right now. Try again in a while."
    ),
    "Rapporttjänsten kunde inte utföra begäran.": "The report service could not do that.",
    "Rapporten finns inte": "The report does not exist",
    "Rapporten är inte klar än": "The report is not ready yet",
    "Rapporten är beställd men inte mottagen än. Försök igen om en stund.": (
        "The report has been ordered but not received yet. Please try again in a moment."
    ),
    (
        "Din sökning genererade {count} träffar vilket överskrider det maximalt tillåtna "
        "{limit}. Vänligen justera datumintervallet för att reducera antalet träffar."
    ): (
        "Your search returned {count} hits, which exceeds the maximum of {limit}. Please "
        "adjust the date range to reduce the number of hits."
    ),
    "Från datum måste vara före till datum": "The from date must be before the to date",
    "Välj en ärendetyp": "Choose a case type",
    "Ärendetypen finns inte": "The case type does not exist",
    "Ange datum som ÅÅÅÅ-MM-DD": "Enter dates as YYYY-MM-DD",
    # Administration (web/admin.py, groups, audit log)
    "Administration": "Administration",
    "Förvaltningar": "Organizations",
    "Ärendetyper": "Case types",
    "Personal": "Staff",
    "Handläggargrupper": "Handler groups",
    "Ändringslogg": "Change log",
    "Ärendemottagare": "Case receiver",
    "Lokal administratör": "Local administrator",
    "Granskare": "Reviewer",
    "Systemadministratör": "System administrator",
    "Systemadministratör (alla behörigheter i alla förvaltningar)": (
        "System administrator (every right in every organization)"
    ),
    "Aktiv": "Active",
    "Anonyma användare tillåts": "Anonymous users allowed",
    "Intern ärendetyp (anställda med staden-konto)": (
        "Internal case type (employees with a city account)"
    ),
    "Notifiering via e-post": "Notification by e-mail",
    "Notifiering via SMS": "Notification by SMS",
    "Tvåvägskommunikation": "Two-way communication",
    "Begränsat urval": "Restricted selection",
    "Inaktiva ärendetyper tar inte emot nya ärenden.": "Inactive case types receive no new cases.",
    "Användaren får e-post när ärendet uppdateras.": (
        "The user gets an e-mail when the case is updated."
    ),
    "Användaren får SMS när ärendet uppdateras.": "The user gets an SMS when the case is updated.",
    "Användaren kan komplettera och svara i ärendet.": (
        "The user can complement and answer in the case."
    ),
    "Endast godkända invånare och invånare med delning får skicka in ärenden.": (
        "Only approved residents and residents with a share may submit cases."
    ),
    "Kod": "Code",
    "Namn": "Name",
    "E-post": "E-mail",
    "SMS": "SMS",
    "Mobilnummer": "Mobile number",
    "Medlemmar": "Members",
    "Behörigheter": "Permissions",
    "Notifiering": "Notification",
    "Inställningar": "Settings",
    "Arkivering och gallring": "Archiving and purging",
    "Arkivering efter antal dagar": "Archive after number of days",
    "Gallring efter antal dagar": "Purge after number of days",
    "Arkivering / Gallring (dagar)": "Archiving / Purging (days)",
    "Dagar efter senaste ändringen. 0 betyder vid nästa körning.": (
        "Days after the last change. 0 means at the next run."
    ),
    "Utan gallringsbeslut gallras inga ärenden av typen.": (
        "Without a retention decision no cases of the type are purged."
    ),
    "Bokstäver, siffror, punkt, bindestreck och understreck. Kan inte ändras.": (
        "Letters, digits, full stop, hyphen and underscore. Cannot be changed."
    ),
    "Koden som e-tjänsten skickar in ärenden med. Kan inte ändras.": (
        "The code the e-service submits cases with. Cannot be changed."
    ),
    "Används vid inloggning. Kan inte ändras.": "Used to sign in. Cannot be changed.",
    "Minst 12 tecken.": "At least 12 characters.",
    "Minst 12 tecken. Lämna tomt för att behålla lösenordet. Ett nytt lösenord loggar ut "
    "användaren överallt.": (
        "At least 12 characters. Leave empty to keep the password. A new password signs the "
        "user out everywhere."
    ),
    "Nytt lösenord": "New password",
    "En inaktiv användare kan inte logga in.": "An inactive user cannot sign in.",
    "Välj roller per förvaltning. Utan valda ärendetyper gäller rollen alla förvaltningens "
    "ärendetyper.": (
        "Choose roles per organization. Without chosen case types a role covers all of the "
        "organization's case types."
    ),
    "Begränsa {role} till ärendetyperna": "Limit {role} to the case types",
    "Det finns fel i formuläret": "There are errors in the form",
    "Det finns inga användare.": "There are no users.",
    "Det finns inga förvaltningar.": "There are no organizations.",
    "Det finns inga handläggargrupper.": "There are no handler groups.",
    "Det finns inga ärendetyper.": "There are no case types.",
    "Ny förvaltning": "New organization",
    "Skapa förvaltning": "Create organization",
    "Ändra förvaltning": "Change organization",
    "Ny ärendetyp": "New case type",
    "Ändra ärendetyp": "Change case type",
    "Ändra användare": "Change user",
    "Skapa grupp": "Create group",
    "Skapa grupp av handläggare": "Create a group of handlers",
    "Ändra grupp": "Change group",
    "Ta bort grupp": "Remove group",
    "Ändra": "Change",
    "Tillbaka till förvaltningar": "Back to organizations",
    "Tillbaka till ärendetyper": "Back to case types",
    "Tillbaka till personal": "Back to staff",
    "Tillbaka till handläggargrupper": "Back to handler groups",
    "Medlemmarna väljs bland förvaltningens personal nedan.": (
        "Members are chosen among the organization's staff below."
    ),
    "Förvaltningen har ingen personal som kan handlägga ärenden.": (
        "The organization has no staff who can handle cases."
    ),
    "Ett ärende som fördelas till en grupp visas i Mina ärenden för alla i gruppen tills "
    "någon tar det.": (
        "A case assigned to a group is shown in My cases for everyone in the group until "
        "someone takes it."
    ),
    "Gruppen {name}": "The group {name}",
    "Notifiera vid status": "Notify on status",
    "Användaren notifieras bara när en ändring lämnar ärendet i en av de valda statusarna. "
    "Inget val: vid varje ändring som användaren ser.": (
        "The user is notified only when a change leaves the case in one of the chosen "
        "statuses. None chosen: on every change the user sees."
    ),
    "Ta ärendet": "Take the case",
    "Förvaltningen har sparats.": "The organization has been saved.",
    "Ärendetypen har sparats.": "The case type has been saved.",
    "Användaren har sparats.": "The user has been saved.",
    "Handläggargruppen har sparats.": "The handler group has been saved.",
    "Handläggargruppen har tagits bort.": "The handler group has been removed.",
    "Alla ändringar av förvaltningar, ärendetyper, personal, behörigheter och grupper, senaste "
    "först.": (
        "Every change of organizations, case types, staff, permissions and groups, newest first."
    ),
    "Tid": "Time",
    "Ändrat av": "Changed by",
    "Ändring": "Change",
    "Avser": "Concerns",
    "Detaljer": "Details",
    "Inga ändringar har loggats.": "No changes have been logged.",
    "Ej bekräftad": "Not confirmed",
    (
        "Ej bekräftad: ändringen skickades till ärendetjänsten men bekräftades aldrig (inget "
        "svar i tid, eller ett fel). Den kan ha genomförts eller inte; kontrollera "
        "förvaltningen eller ärendetypen. Detaljerna visar de begärda värdena."
    ): (
        "Not confirmed: the change was sent to the case service but never confirmed (no answer "
        "in time, or a failure). It may or may not have been made; check the organization or "
        "case type. The details show the values asked for."
    ),
    "Visa äldre ändringar": "Show older changes",
    "Förvaltning skapad": "Organization created",
    "Förvaltning ändrad": "Organization changed",
    "Ärendetyp skapad": "Case type created",
    "Ärendetyp ändrad": "Case type changed",
    "Användare skapad": "User created",
    "Användare ändrad": "User changed",
    "Handläggargrupp skapad": "Handler group created",
    "Handläggargrupp ändrad": "Handler group changed",
    "Handläggargrupp borttagen": "Handler group removed",
    "Förvaltningen finns inte": "The organization does not exist",
    "Förvaltningen {code} finns redan": "The organization {code} already exists",
    "Ärendetypen {code} finns redan": "The case type {code} already exists",
    "Handläggargruppen finns inte": "The handler group does not exist",
    "Handläggargruppen {code} finns redan": "The handler group {code} already exists",
    "{username} kan inte vara med i gruppen: användaren finns inte, är inaktiv eller saknar "
    "behörighet att handlägga ärenden i förvaltningen {organization}.": (
        "{username} cannot be in the group: the user does not exist, is inactive or may not "
        "handle cases in the organization {organization}."
    ),
    # Removing a group that still has open work (gateway.groups.service.delete_group)
    "Gruppen har {work}. Fördela dem till någon annan innan gruppen tas bort.": (
        "The group has {work}. Assign them to someone else before removing the group."
    ),
    "Gruppen har 1 öppet ärende. Fördela det till någon annan innan gruppen tas bort.": (
        "The group has 1 open case. Assign it to someone else before removing the group."
    ),
    "Gruppen har 1 öppen uppgift. Fördela den till någon annan innan gruppen tas bort.": (
        "The group has 1 open task. Assign it to someone else before removing the group."
    ),
    "1 öppet ärende": "1 open case",
    "{count} öppna ärenden": "{count} open cases",
    "1 öppen uppgift": "1 open task",
    "{count} öppna uppgifter": "{count} open tasks",
    "{cases} och {tasks}": "{cases} and {tasks}",
    "En grupp med öppna ärenden eller uppgifter kan inte tas bort. Avslutade och arkiverade "
    "ärenden behåller gruppens kod.": (
        "A group with open cases or tasks cannot be removed. Closed and archived cases keep "
        "the group's code."
    ),
    "{code} (gruppen finns inte längre)": "{code} (the group no longer exists)",
}

# Texts of the 1177 and service-desk functions, kept in a module of their own.
ENGLISH.update({k: v for k, v in SERVICE_DESK_ENGLISH.items() if k not in ENGLISH})
ENGLISH.update({k: v for k, v in PERSONAL_ENGLISH.items() if k not in ENGLISH})


class Phrase:
    """A text that fills another text's `{placeholder}` and is translated with it, e.g. a
    count with its noun ("1 öppet ärende", "{count} öppna ärenden")."""

    __slots__ = ("text", "values")

    def __init__(self, text: str, **values: Any) -> None:
        self.text = text
        self.values = values

    def __str__(self) -> str:
        return translate(self.text, DEFAULT_LANGUAGE, **self.values)


def translate(text: str, lang: str, **values: Any) -> str:
    """`text` (Swedish) in `lang`, with `{placeholders}` filled from `values` (a Phrase among
    them translated too)."""
    if lang == "en":
        text = ENGLISH.get(text, text)
    if not values:
        return text
    return text.format(
        **{
            k: translate(v.text, lang, **v.values) if isinstance(v, Phrase) else v
            for k, v in values.items()
        }
    )


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
