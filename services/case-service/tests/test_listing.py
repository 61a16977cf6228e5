"""The case list (F-LI-1..5): views, filters, search, sorting, keyset paging, totals, scope."""

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import insert, text, update
from stdnum import luhn

from arende_contracts.access import Actor, Grant
from case_service.cases.listing import TotalCounter, form_words, prefix_tsquery
from case_service.models import STATUS_ORDER, Case

pytestmark = pytest.mark.asyncio(loop_scope="session")

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
SORTS = ["updated_at", "submitted_at", "title", "status", "reference", "submitter", "id"]


def personal_number(born: str, serial: str) -> str:
    """A valid personnummer (YYYYMMDD + serial of three digits + Luhn check digit)."""
    body = born[2:] + serial
    return born[:2] + body + luhn.calc_check_digit(body)


def swedish(text: str) -> str:
    """Sort key matching ICU's Swedish order for the test's texts: å, ä, ö after z."""
    return text.casefold().translate(str.maketrans({"å": "{", "ä": "|", "ö": "}"}))


@dataclass
class ListData:
    """Two organizations, three case types, ~25 cases of known attributes."""

    org_a: str
    org_b: str
    types: dict[str, dict[str, Any]]  # "a1", "a2", "b1" -> {"id", "code", "name"}
    cases: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> inserted values
    named: dict[str, int] = field(default_factory=dict)  # label -> id

    def actor(self, orgs: tuple[str, ...] = ("a", "b"), **kw: Any) -> Actor:
        grants = [
            Grant(organization=self.org_a if o == "a" else self.org_b, role="handler") for o in orgs
        ]
        return Actor(username=kw.pop("username", "kalle"), grants=grants, **kw)


def headers(actor: Actor) -> dict[str, str]:
    return {"x-internal-token": "test-internal-token", "x-actor": actor.model_dump_json()}


async def listing(
    client: httpx.AsyncClient, actor: Actor, expect: int = 200, **params: Any
) -> dict[str, Any]:
    response = await client.get("/internal/cases", params=params, headers=headers(actor))
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]


def form(*values: str) -> list[dict[str, Any]]:
    fields = [
        {"key": f"f{i}", "label": "Beskriv ärendet", "value": v} for i, v in enumerate(values)
    ]
    return [{"section": "Ärendet", "fields": fields}]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def data(case_app: Any, case_client: httpx.AsyncClient) -> ListData:
    token = uuid.uuid4().hex[:6]
    org_a, org_b = f"lista-{token}", f"listb-{token}"
    for code in (org_a, org_b):
        response = await case_client.post(
            "/internal/organizations", json={"code": code, "name": f"Förvaltning {code}"}
        )
        assert response.status_code == 201, response.text
    types = {}
    for key, org, name in (
        ("a1", org_a, "Anmälan till flexlinjen"),
        ("a2", org_a, "Ansökan om färdtjänst"),
        ("b1", org_b, "Klagomål på buller"),
    ):
        body = {"code": f"{key}-{token}", "name": name, "organization": org}
        response = await case_client.post("/internal/case-types", json=body)
        assert response.status_code == 201, response.text
        types[key] = response.json()
    result = ListData(org_a, org_b, types)
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "carin",
            {
                "type": "a1",
                "status": "submitted",
                "name": "Carin Testare",
                "pnr": personal_number("19121212", "121"),
                "area": "Centrum",
                "form": form("Jag har kanelbulleallergi och behöver hjälp"),
            },
        ),
        (
            "asa",
            {
                "type": "a1",
                "status": "in_progress",
                "handler": "kalle",
                "name": "Åsa Öberg",
                "pnr": personal_number("19830604", "654"),
            },
        ),
        (
            "asa_closed",
            {
                "type": "a1",
                "status": "closed",
                "handler": "kalle",
                "name": "Åsa Öberg",
                "pnr": personal_number("19830604", "654"),
            },
        ),
        (
            "orjan",
            {
                "type": "a1",
                "status": "closed_by_user",
                "name": "Örjan Ek",
                "pnr": personal_number("19550101", "123"),
            },
        ),
        (
            "anders",
            {
                "type": "a1",
                "status": "archived",
                "handler": "kalle",
                "name": "Anders Berg",
                "pnr": personal_number("19600202", "222"),
            },
        ),
        (
            "behzad",
            {
                "type": "a2",
                "status": "assigned",
                "group": "grupp-x",
                "kind": "employee",
                "account": "x1behand",
                "name": "Behzad Andishmand",
            },
        ),
        (
            "zata",
            {
                "type": "a2",
                "status": "complemented",
                "handler": "kalle",
                "starred": True,
                "reference": "DNR 2026/77",
                "name": "Zäta Ärlig",
                "pnr": personal_number("19910706", "050"),
            },
        ),
        (
            "anon",
            {
                "type": "a2",
                "status": "decided",
                "kind": "anonymous",
                "area": "Hisingen",
                "reference": "BN-2025-00042",
            },
        ),
        (
            "filippa",
            {
                "type": "b1",
                "status": "submitted",
                "name": "Filippa Testdotter",
                "pnr": personal_number("19910706", "050"),
                "area": "Centrum",
            },
        ),
        (
            "olle",
            {
                "type": "b1",
                "status": "awaiting_submitter",
                "handler": "olle",
                "name": "Nicolina Testson",
                "pnr": personal_number("19830604", "654"),
            },
        ),
    ]
    # Cases alike in every sort key but the id: keyset paging must not lose or repeat them.
    for i in range(12):
        rows.append(
            (
                f"twin{i}",
                {
                    "type": "a1",
                    "status": "submitted",
                    "name": "Person Tvilling",
                    "pnr": personal_number("19700101", f"{i:03d}"),
                    "same": True,
                },
            )
        )
    values = []
    for n, (_, spec) in enumerate(rows):
        offset = timedelta(hours=0 if spec.get("same") else n)
        kind = spec.get("kind", "citizen")
        values.append(
            {
                "submission_id": uuid.uuid4(),
                "case_type_id": types[spec["type"]]["id"],
                "status": spec["status"],
                "title": types[spec["type"]]["name"],
                "reference": spec.get("reference"),
                "handler": spec.get("handler"),
                "handler_group": spec.get("group"),
                "business_area": spec.get("area"),
                "submitter_kind": kind,
                "submitter_personal_number": spec.get("pnr") if kind == "citizen" else None,
                "submitter_account": spec.get("account"),
                "submitter_name": spec.get("name"),
                "form": spec.get("form", form("Inget särskilt")),
                "starred": spec.get("starred", False),
                "submitted_at": T0 + offset,
                "updated_at": T0 + timedelta(days=30) - offset * 2,
            }
        )
    async with case_app.state.runtime.sessions() as session, session.begin():
        ids = (
            (
                await session.execute(
                    insert(Case).returning(Case.id, sort_by_parameter_order=True), values
                )
            )
            .scalars()
            .all()
        )
    for (label, _), case_id, value in zip(rows, ids, values, strict=True):
        result.named[label] = case_id
        result.cases[case_id] = value
    return result


def ids_of(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def expected(
    data: ListData, keep: Callable[[dict[str, Any]], bool], sort: str, order: str
) -> list[int]:
    def key(case_id: int) -> Any:
        c = data.cases[case_id]
        value: Any = {
            "updated_at": c["updated_at"],
            "submitted_at": c["submitted_at"],
            "title": swedish(c["title"]),
            "status": STATUS_ORDER.index(c["status"]) + 1,
            "reference": swedish(c["reference"] or ""),
            "submitter": swedish(c["submitter_name"] or c["submitter_account"] or ""),
            "id": 0,
        }[sort]
        return (value, case_id)

    chosen = [i for i, c in data.cases.items() if keep(c)]
    return sorted(chosen, key=key, reverse=order == "desc")


def not_archived(c: dict[str, Any]) -> bool:
    return bool(c["status"] != "archived")


async def test_views_scope_and_the_default_status(
    case_client: httpx.AsyncClient, data: ListData
) -> None:
    kalle = data.actor(groups=["grupp-x"])
    n = data.named
    mine = await listing(case_client, kalle, view="mine")
    # handler kalle or group grupp-x; not closed (the default "Alla (ej Avslutad)"), not archived
    assert set(ids_of(mine)) == {n["asa"], n["zata"], n["behzad"]}
    assert mine["total"] == 3 and mine["total_exact"] is True
    mine_any = await listing(case_client, kalle, view="mine", status="any")
    assert set(ids_of(mine_any)) == {n["asa"], n["asa_closed"], n["zata"], n["behzad"]}

    everything = await listing(case_client, kalle, view="all", limit=200)
    assert set(ids_of(everything)) == {
        i
        for i, c in data.cases.items()
        if c["status"] not in ("archived", "closed", "closed_by_user")
    }
    assert everything["total"] == len(everything["items"])
    closed = await listing(case_client, kalle, view="all", status="closed")
    assert ids_of(closed) == [n["asa_closed"]]
    archived = await listing(case_client, kalle, view="archived")
    assert ids_of(archived) == [n["anders"]]
    assert (await listing(case_client, kalle, view="all", status="archived"))["items"] == []

    only_a = data.actor(orgs=("a",))
    seen = await listing(case_client, only_a, view="all", status="any", limit=200)
    assert {data.cases[i]["case_type_id"] for i in ids_of(seen)} == {
        data.types["a1"]["id"],
        data.types["a2"]["id"],
    }
    nobody = Actor(username="nobody", grants=[Grant(organization="finns-inte", role="handler")])
    empty = await listing(case_client, nobody, view="all")
    assert empty["items"] == [] and empty["total"] == 0
    assert empty["facets"] == {"case_types": [], "organizations": [], "business_areas": []}


async def test_filters(case_client: httpx.AsyncClient, data: ListData) -> None:
    actor, n = data.actor(), data.named
    a2 = await listing(case_client, actor, case_type=data.types["a2"]["code"], status="any")
    assert set(ids_of(a2)) == {n["behzad"], n["zata"], n["anon"]}
    org_b = await listing(case_client, actor, organization=data.org_b)
    assert set(ids_of(org_b)) == {n["filippa"], n["olle"]}
    centrum = await listing(case_client, actor, business_area="Centrum")
    assert set(ids_of(centrum)) == {n["carin"], n["filippa"]}
    assert ids_of(await listing(case_client, actor, status="complemented")) == [n["zata"]]
    combined = await listing(
        case_client, actor, organization=data.org_a, business_area="Centrum", status="submitted"
    )
    assert ids_of(combined) == [n["carin"]]
    # A code outside the actor's scope, or unknown, is a filter that matches nothing.
    outside = data.actor(orgs=("a",))
    assert (await listing(case_client, outside, case_type=data.types["b1"]["code"]))["items"] == []
    assert (await listing(case_client, actor, case_type="finns-inte"))["total"] == 0


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("sort", SORTS)
async def test_every_sort_pages_forward_and_back_without_gaps_or_repeats(
    case_client: httpx.AsyncClient, data: ListData, sort: str, order: str
) -> None:
    actor = data.actor()
    want = expected(data, not_archived, sort, order)
    params = {"view": "all", "status": "any", "sort": sort, "order": order, "limit": 4}
    pages, cursor = [], None
    while True:
        page = await listing(case_client, actor, **params, **({"cursor": cursor} if cursor else {}))
        assert page["sort"] == sort and page["order"] == order
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i for p in pages for i in ids_of(p)] == want
    assert pages[0]["prev_cursor"] is None
    assert pages[0]["total"] == len(want) and pages[-1]["total"] == len(want)
    # Back from the last page to the first through prev_cursor.
    back, page = [ids_of(pages[-1])], pages[-1]
    while page["prev_cursor"]:
        page = await listing(case_client, actor, **params, cursor=page["prev_cursor"])
        back.insert(0, ids_of(page))
    assert back == [ids_of(p) for p in pages]


async def test_a_cursor_belongs_to_its_sort(case_client: httpx.AsyncClient, data: ListData) -> None:
    actor = data.actor()
    page = await listing(case_client, actor, sort="title", order="asc", limit=2, status="any")
    cursor = page["next_cursor"]
    for other in ({"sort": "updated_at"}, {"sort": "title", "order": "desc"}):
        response = await case_client.get(
            "/internal/cases", params={**other, "cursor": cursor}, headers=headers(actor)
        )
        assert response.status_code == 422
        assert response.headers["x-error-code"] == "cursor_sort_mismatch"
    forged = base64.urlsafe_b64encode(json.dumps([1, "id", "desc", "next", "x", 1]).encode())
    for bad in ("not-a-cursor", "////", forged.decode(), "W10"):
        response = await case_client.get(
            "/internal/cases", params={"sort": "id", "cursor": bad}, headers=headers(actor)
        )
        assert response.status_code == 422, bad
        assert response.headers["x-error-code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("q", "labels"),
    [
        ("DNR 2026/7", {"zata"}),  # part of a reference
        ("bn-2025", {"anon"}),  # case-insensitive
        ("121212-1", {"carin"}),  # part of a personnummer, written with a dash
        ("19830604", {"asa", "olle"}),  # not the closed twin (default status)
        ("BEHAND", {"behzad"}),  # part of a staden-konto
        ("öberg", {"asa"}),  # part of a name
        ("Testd", {"filippa"}),
        ("kanelbulle", set()),  # form values only in the detailed search
        ("%", set()),  # LIKE wildcards are text
        ("_", set()),
    ],
)
async def test_basic_search(
    case_client: httpx.AsyncClient, data: ListData, q: str, labels: set[str]
) -> None:
    q = q.replace("CASE_ID", str(data.named["zata"]))
    page = await listing(case_client, data.actor(), q=q, limit=200)
    assert set(ids_of(page)) == {data.named[label] for label in labels}
    assert page["total"] == len(labels)


async def test_detailed_search_finds_form_values_by_prefix(
    case_client: httpx.AsyncClient, data: ListData
) -> None:
    actor, n = data.actor(), data.named
    for q in ("kanelbulle", "KANELBULLEALLERGI", "behöver kanelbulle"):
        page = await listing(case_client, actor, q=q, detailed="true")
        assert ids_of(page) == [n["carin"]], q
    both = await listing(case_client, actor, q="Testare", detailed="true")
    assert ids_of(both) == [n["carin"]]  # the basic fields still count
    assert (await listing(case_client, actor, q="allergi", detailed="true"))["items"] == []
    # Search is always combined with the view and the filters.
    scoped = await listing(case_client, actor, q="kanelbulle", detailed="true", view="mine")
    assert scoped["items"] == []


async def test_basic_search_by_id(case_client: httpx.AsyncClient, data: ListData) -> None:
    q = str(data.named["zata"])[1:]  # part of the id
    page = await listing(case_client, data.actor(), q=q, limit=200)
    assert data.named["zata"] in ids_of(page)
    assert set(ids_of(page)) == {
        i
        for i, c in data.cases.items()
        if (q in str(i) or q in (c["submitter_personal_number"] or ""))
        and c["status"] not in ("archived", "closed", "closed_by_user")
    }


async def test_the_words_of_a_term_match_the_words_of_a_form(case_app: Any) -> None:
    assert prefix_tsquery(["flex", "linj"]) == "'flex':* & 'linj':*"
    term = "Carin's e-post carin@testare.se Majorna-Linné back\\slash 19121212-1212"
    async with case_app.state.runtime.sessions() as session:
        words = await form_words(session, term)
        assert "carin@testare.se" in words and "majorna-linné" in words
        matches = await session.scalar(
            text("SELECT case_form_search(CAST(:form AS jsonb)) @@ CAST(:q AS tsquery)"),
            {"form": json.dumps(form(term)), "q": prefix_tsquery(words)},
        )
    assert matches is True


async def test_facets_follow_the_scope(case_client: httpx.AsyncClient, data: ListData) -> None:
    a1_only = Actor(
        username="granskare",
        grants=[
            Grant(organization=data.org_a, role="reviewer", case_types=[data.types["a1"]["code"]])
        ],
    )
    page = await listing(case_client, a1_only, status="any", limit=200)
    assert page["facets"]["case_types"] == [
        {
            "code": data.types["a1"]["code"],
            "name": "Anmälan till flexlinjen",
            "organization": data.org_a,
        }
    ]
    assert page["facets"]["organizations"] == [
        {"code": data.org_a, "name": f"Förvaltning {data.org_a}"}
    ]
    assert page["facets"]["business_areas"] == ["Centrum"]
    assert page["total"] == sum(
        1
        for c in data.cases.values()
        if c["case_type_id"] == data.types["a1"]["id"] and c["status"] != "archived"
    )
    both = await listing(case_client, data.actor(), limit=1)
    assert both["facets"]["business_areas"] == ["Centrum", "Hisingen"]
    assert [o["code"] for o in both["facets"]["organizations"]] == [data.org_a, data.org_b]
    assert [t["name"] for t in both["facets"]["case_types"]] == [
        "Anmälan till flexlinjen",
        "Ansökan om färdtjänst",
        "Klagomål på buller",
    ]


async def test_a_total_not_counted_in_time_is_estimated_then_counted_exactly(
    case_app: Any, case_client: httpx.AsyncClient, data: ListData
) -> None:
    actor = data.actor()
    want = len(expected(data, not_archived, "id", "desc"))
    original = getattr(case_app.state, "case_totals", None)
    # Never counted in the request, no time to wait for the count, every count worth keeping.
    case_app.state.case_totals = TotalCounter(
        count_here_below=0, wait_seconds=0, expensive_seconds=0
    )
    try:
        first = await listing(case_client, actor, status="any", limit=2)
        assert first["total_exact"] is False and first["total"] > 0  # the planner's estimate
        for _ in range(100):
            page = await listing(case_client, actor, status="any", limit=2)
            if page["total_exact"]:
                break
            await asyncio.sleep(0.05)
        assert page["total_exact"] is True and page["total"] == want
    finally:
        case_app.state.case_totals = original
        if original is None:
            del case_app.state.case_totals
    # With time to count (the default), a small total is exact at once.
    small = await listing(case_client, actor, organization=data.org_b, status="any", limit=1)
    assert small["total"] == 2 and small["total_exact"] is True


async def test_a_new_form_is_searched_by_its_new_words(
    case_app: Any, case_client: httpx.AsyncClient
) -> None:
    """The trigger keeps `form_search` with the form, also when a resubmission replaces it."""
    org = f"listc-{uuid.uuid4().hex[:6]}"
    await case_client.post("/internal/organizations", json={"code": org, "name": org})
    body = {"code": f"c-{org}", "name": "Klagomål på buller", "organization": org}
    case_type = (await case_client.post("/internal/case-types", json=body)).json()
    async with case_app.state.runtime.sessions() as session, session.begin():
        case_id = await session.scalar(
            insert(Case)
            .values(
                submission_id=uuid.uuid4(),
                case_type_id=case_type["id"],
                status="submitted",
                title="Klagomål på buller",
                submitter_kind="anonymous",
                form=form("Det luktar blåbärssoppa i trappan"),
                submitted_at=T0,
                updated_at=T0,
            )
            .returning(Case.id)
        )
    actor = Actor(username="kalle", grants=[Grant(organization=org, role="handler")])

    async def found(word: str) -> list[int]:
        return ids_of(await listing(case_client, actor, q=word, detailed="true"))

    assert await found("blåbärssoppa") == [case_id]
    async with case_app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Case).where(Case.id == case_id).values(form=form("Nu luktar det hallonsaft"))
        )
    assert await found("hallonsaft") == [case_id]
    assert await found("blåbärssoppa") == []
