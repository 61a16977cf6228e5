"""English texts of the personal settings page (F-AD-4), kept in a module of their own."""

ENGLISH: dict[str, str] = {
    "Personliga inställningar": "Personal settings",
    "Dina inställningar har sparats.": "Your settings have been saved.",
    "Namnet eller signaturen är för lång.": "The name or the signature is too long.",
    "Kontrollera dina kontaktuppgifter. De ändras av en lokal administratör.": (
        "Check your contact details. A local administrator changes them."
    ),
    "Namn": "Name",
    "E-post": "E-mail",
    "Telefon": "Phone",
    "Saknas": "Missing",
    "Det här ser användaren": "What the user sees",
    "Namn som visas för användaren": "Name shown to the user",
    "Tomt: ditt namn ({name}).": "Empty: your name ({name}).",
    "Signatur": "Signature",
    "Läggs under det du skriver till användaren.": "Added below what you write to the user.",
    "Avisering": "Alerts",
    "När ett nytt ärende har kommit in": "When a new case has come in",
    "När ett ärende har fördelats till mig": "When a case has been assigned to me",
    "Även via SMS": "By SMS too",
    "Spara": "Save",
    "Notifiering via e-post misslyckades": "Notification by e-mail failed",
    "Notifiering via SMS misslyckades": "Notification by SMS failed",
}
