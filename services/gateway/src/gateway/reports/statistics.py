"""Statistics with names: report-service counts by codes, case-service knows the names."""

from typing import Any

from arende_contracts.access import Actor
from gateway.case_client import CaseServiceClient
from gateway.reports.client import ReportServiceClient


async def case_type_names(case_service: CaseServiceClient, actor: Actor) -> dict[str, Any]:
    """Code → {name, organization} of the case types the actor may see."""
    types = await case_service.call("GET", "/internal/case-types", actor)
    return {ct["code"]: ct for ct in types}


async def organization_names(case_service: CaseServiceClient, actor: Actor) -> dict[str, str]:
    orgs = await case_service.call("GET", "/internal/organizations", actor)
    return {o["code"]: o["name"] for o in orgs}


async def named_overview(
    reports: ReportServiceClient,
    case_service: CaseServiceClient,
    actor: Actor,
    organization: str | None,
    business_area: str | None,
) -> dict[str, Any]:
    overview = await reports.overview(actor, organization, business_area)
    types = await case_type_names(case_service, actor)
    orgs = await organization_names(case_service, actor)
    for row in overview["rows"]:
        known = types.get(row["case_type"])
        row["case_type_name"] = known["name"] if known else row["case_type"]
        row["organization_name"] = orgs.get(row["organization"], row["organization"])
    overview["rows"].sort(key=lambda r: (r["case_type_name"].casefold(), r["case_type"]))
    overview["organizations"] = [
        {"code": code, "name": orgs.get(code, code)} for code in overview["organizations"]
    ]
    return overview
