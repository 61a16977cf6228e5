"""A case as an item of the case list: the fields of the integration API (SPEC §4)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement

from case_service.models import Case

# The columns a list item is made of (never the form: a page stays small).
ITEM_COLUMNS: tuple[ColumnElement[Any], ...] = (
    Case.id,
    Case.case_type_id,
    Case.title,
    Case.status,
    Case.handler,
    Case.handler_group,
    Case.reference,
    Case.business_area,
    Case.submitter_kind,
    Case.submitter_personal_number,
    Case.submitter_account,
    Case.submitter_name,
    Case.submitted_at,
    Case.updated_at,
    Case.starred,
    Case.priority,
    Case.category,
)


def case_item(row: Mapping[str, Any], case_type: Mapping[str, Any]) -> dict[str, Any]:
    """A list item from a row of ITEM_COLUMNS with the task marker (`my_task`) and its case type
    (code, name, organization)."""
    return {
        "id": row["id"],
        "case_type": case_type["code"],
        "case_type_name": case_type["name"],
        "organization": case_type["organization"],
        "organization_name": case_type["organization_name"],
        "title": row["title"],
        "status": row["status"],
        "handler": row["handler"],
        "handler_group": row["handler_group"],
        "reference": row["reference"],
        "business_area": row["business_area"],
        "submitter": {
            "kind": row["submitter_kind"],
            "personal_number": row["submitter_personal_number"],
            "account": row["submitter_account"],
            "name": row["submitter_name"],
        },
        "submitted_at": row["submitted_at"],
        "updated_at": row["updated_at"],
        "starred": row["starred"],
        "priority": row["priority"],
        "category": row["category"],
        "my_task": row["my_task"],
    }
