"""The standard texts (F-NO-1, F-NO-4, seed 000 §8.1): they say only that something happened and
where to follow it — never case content, names or personnummer."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """What one notification says: a subject (e-mail only) and a body (e-mail and SMS)."""

    subject: str
    body: str


def submitter_update(case_type_name: str) -> Text:
    """To the submitter, the same standard text by e-mail and SMS."""
    return Text(
        subject="Ditt ärende har uppdaterats",
        body=(f"Ditt ärende {case_type_name} har uppdaterats, följ ditt ärende på Mina sidor."),
    )


def staff_new_case(case_id: int, case_type: str, organization: str) -> Text:
    """To staff who asked for an alert on new cases of a case type they are granted."""
    return Text(
        subject=f"Nytt ärende {case_id}",
        body=(
            f"Ett nytt ärende ({case_id}, ärendetyp {case_type}, {organization}) har kommit in "
            "till Handläggarstöd."
        ),
    )


def staff_assigned(case_id: int, case_type: str, group: str | None) -> Text:
    """To the handler (or the group's members) a case was assigned to."""
    to = f"gruppen {group}" if group else "dig"
    return Text(
        subject=f"Ärende {case_id} har fördelats till {to}",
        body=f"Ärende {case_id} (ärendetyp {case_type}) har fördelats till {to} i Handläggarstöd.",
    )
