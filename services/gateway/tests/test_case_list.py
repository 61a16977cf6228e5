"""The case list in the API and the web UI: parameters, validation, search, filters, sorting,
paging, the guide's texts (F-LI-1..5)."""

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import insert, select
from stdnum import luhn

from case_service.models import Case, CaseType
from gateway.case_client import CaseServiceClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
STATUS_OPTIONS = [
    "Alla (ej Avslutad)",
    "Alla",
    "Inskickad",
    "Inväntar handläggning",
    "Fördelad",
    "Behandlas",
    "Beslutad",
    "Avslutad",
    "Kompletterad av användaren",
    "Avslutad av användaren",
    "Väntar på komplettering",
]


def personal_number(born: str, serial: str) -> str:
    body = born[2:] + serial
    return born[:2] + body + luhn.calc_check_digit(body)


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def options(html: str, name: str) -> list[str] | None:
    """The option texts of the filter `name`, or None when the page has no such filter."""
    found = re.search(rf'<select id="filter-{name}" name="{name}">(.*?)</select>', html, re.S)
    if not found:
        return None
    return [text_of(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", found.group(1))]


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="arende-(\d+)"', html)]


def header(html: str, label: str) -> str:
    found = re.search(
        rf'<th scope="col"[^>]*><a class="sort-link" href="[^"]*">{label}<.*?</th>', html
    )
    assert found, html
    return unescape(found.group(0))


def href_of(fragment: str) -> str:
    found = re.search(r'href="([^"]+)"', fragment)
    assert found
    return unescape(found.group(1))


@dataclass
class ListWorld:
    """Two organizations, three case types, cases of known attributes, and staff."""

    org_a: str
    org_b: str
    types: dict[str, str]  # "a1", "a2", "b1" -> code
    cases: dict[str, int]  # label -> id
    wide: Any  # staff with both organizations
    narrow: Any  # staff with one case type


async def insert_cases(case_app: Any, code: str, rows: list[dict[str, Any]]) -> list[int]:
    async with case_app.state.runtime.sessions() as session, session.begin():
        type_id, title = (
            await session.execute(select(CaseType.id, CaseType.name).where(CaseType.code == code))
        ).one()
        values = [
            {
                "submission_id": uuid.uuid4(),
                "case_type_id": type_id,
                "title": title,
                "status": "submitted",
                "submitter_kind": "citizen",
                "form": [{"section": "Ärendet", "fields": []}],
                "submitted_at": T0,
                "updated_at": T0,
                **row,
            }
            for row in rows
        ]
        result = await session.execute(
            insert(Case).returning(Case.id, sort_by_parameter_order=True), values
        )
        return list(result.scalars())


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(gw: Any, case_app: Any) -> ListWorld:
    org_a, org_b = await gw.organization(), await gw.organization()
    types = {
        "a1": await gw.case_type(org_a, name="Anmälan till flexlinjen"),
        "a2": await gw.case_type(org_a, name="Ansökan om färdtjänst"),
        "b1": await gw.case_type(org_b, name="Klagomål på buller"),
    }
    cases: dict[str, int] = {}
    specs = {
        "a1": [
            (
                "carin",
                {
                    "submitter_name": "Carin Testare",
                    "business_area": "Centrum",
                    "submitter_personal_number": personal_number("19121212", "121"),
                    "form": [
                        {
                            "section": "Ärendet",
                            "fields": [
                                {"key": "b", "label": "Beskriv", "value": "Kanelbulleallergi"}
                            ],
                        }
                    ],
                },
            ),
            (
                "asa",
                {
                    "submitter_name": "Åsa Öberg",
                    "status": "in_progress",
                    "submitter_personal_number": personal_number("19830604", "654"),
                    "updated_at": T0 + timedelta(hours=5),
                    "reference": "DNR 2026/77",
                },
            ),
            (
                "closed",
                {
                    "submitter_name": "Åsa Öberg",
                    "status": "closed",
                    "submitter_personal_number": personal_number("19830604", "654"),
                },
            ),
        ],
        "a2": [
            (
                "zata",
                {
                    "submitter_name": "Zäta Ärlig",
                    "status": "complemented",
                    "starred": True,
                    "submitter_personal_number": personal_number("19910706", "050"),
                    "updated_at": T0 + timedelta(hours=3),
                    "business_area": "Hisingen",
                },
            ),
            ("anon", {"submitter_kind": "anonymous", "updated_at": T0 + timedelta(hours=1)}),
        ],
        "b1": [
            (
                "filippa",
                {
                    "submitter_name": "Filippa Testdotter",
                    "updated_at": T0 + timedelta(hours=2),
                    "submitter_personal_number": personal_number("19910706", "050"),
                },
            ),
        ],
    }
    for key, rows in specs.items():
        ids = await insert_cases(case_app, types[key], [spec for _, spec in rows])
        cases.update({label: case_id for (label, _), case_id in zip(rows, ids, strict=True)})
    wide = await gw.staff(
        [{"organization": org_a, "role": "handler"}, {"organization": org_b, "role": "handler"}]
    )
    narrow = await gw.staff(
        [{"organization": org_b, "role": "reviewer", "case_types": [types["b1"]]}],
        name="Nils Smal",
    )
    return ListWorld(org_a, org_b, types, cases, wide, narrow)


@pytest_asyncio.fixture(loop_scope="session")
async def case_service_via(gateway_app: Any) -> AsyncIterator[Callable[[Any], None]]:
    """Route the gateway's case-service calls through a mock handler for one test."""
    original = gateway_app.state.case_service
    async with AsyncExitStack() as stack:

        def route(handler: Any) -> None:
            mock = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://case")
            stack.push_async_callback(mock.aclose)
            gateway_app.state.case_service = CaseServiceClient(mock, "test-internal-token")

        try:
            yield route
        finally:
            gateway_app.state.case_service = original


# --- the API ----------------------------------------------------------------------------------


async def test_the_api_passes_every_parameter_by_its_spec_name(
    client: httpx.AsyncClient, world: ListWorld, case_service_via: Callable[[Any], None]
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "total": 0, "limit": 10, "next_cursor": None})

    case_service_via(record)
    params = {
        "view": "archived",
        "q": "Öberg",
        "detailed": "true",
        "case_type": world.types["a1"],
        "status": "decided",
        "business_area": "Centrum",
        "organization": world.org_a,
        "sort": "title",
        "order": "asc",
        "limit": "10",
        "cursor": "abc",
    }
    response = await client.get("/api/v1/cases", params=params, headers=world.wide.headers)
    assert response.status_code == 200, response.text
    [request] = seen
    assert dict(request.url.params) == params
    # Defaults: all, open (every status but closed), newest change first.
    await client.get("/api/v1/cases", headers=world.wide.headers)
    assert dict(seen[1].url.params) == {
        "view": "all",
        "detailed": "false",
        "status": "open",
        "sort": "updated_at",
        "order": "desc",
        "limit": "25",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"view": "mina"},
        {"status": "öppen"},
        {"status": "Avslutad"},
        {"sort": "name"},
        {"order": "up"},
        {"limit": 0},
        {"limit": 201},
        {"detailed": "kanske"},
        {"q": "x" * 201},
        {"cursor": "c" * 2001},
        {"case_type": "t" * 201},
    ],
    ids=lambda p: next(iter(p)),
)
async def test_the_api_refuses_bad_values_with_a_422_and_a_text(
    client: httpx.AsyncClient, world: ListWorld, params: dict[str, Any]
) -> None:
    response = await client.get("/api/v1/cases", params=params, headers=world.wide.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("Ogiltig begäran")
    english = await client.get(
        "/api/v1/cases", params=params, headers={**world.wide.headers, "Accept-Language": "en"}
    )
    assert english.json()["detail"].startswith("Invalid request")


async def test_a_cursor_of_another_sort_is_refused_in_the_callers_language(
    client: httpx.AsyncClient, world: ListWorld
) -> None:
    first = await client.get(
        "/api/v1/cases", params={"sort": "title", "limit": 1}, headers=world.wide.headers
    )
    cursor = first.json()["next_cursor"]
    assert cursor
    for lang, detail in (
        ("sv", "Ogiltig cursor. Börja om från första sidan."),
        ("en", "Invalid cursor. Start again from the first page."),
    ):
        for params in ({"cursor": cursor}, {"cursor": "inte-en-cursor", "sort": "title"}):
            response = await client.get(
                "/api/v1/cases",
                params=params,
                headers={**world.wide.headers, "Accept-Language": lang},
            )
            assert response.status_code == 422
            assert response.json() == {"detail": detail}


async def test_the_api_searches_filters_and_sorts_with_the_spec_fields(
    client: httpx.AsyncClient, world: ListWorld
) -> None:
    c = world.cases

    async def ids(**params: Any) -> list[int]:
        response = await client.get("/api/v1/cases", params=params, headers=world.wide.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    page = (await client.get("/api/v1/cases", headers=world.wide.headers)).json()
    assert [i["id"] for i in page["items"]] == [
        c["asa"],
        c["zata"],
        c["filippa"],
        c["anon"],
        c["carin"],
    ]
    assert page["total"] == 5 and page["total_exact"] is True
    assert page["sort"] == "updated_at" and page["order"] == "desc"
    item = page["items"][1]
    assert {
        "id",
        "case_type",
        "title",
        "status",
        "handler",
        "reference",
        "submitter",
        "submitted_at",
        "updated_at",
        "starred",
    } <= set(item)
    assert item["starred"] is True and item["status"] == "complemented"
    assert item["case_type"] == world.types["a2"]
    assert page["facets"]["business_areas"] == ["Centrum", "Hisingen"]
    assert await ids(q="öberg") == [c["asa"]]
    assert await ids(q="öberg", status="any") == [c["asa"], c["closed"]]
    assert await ids(q="2026/77") == [c["asa"]]
    assert await ids(q="kanelbulle") == []
    assert await ids(q="kanelbulle", detailed="true") == [c["carin"]]
    assert await ids(organization=world.org_b) == [c["filippa"]]
    assert await ids(case_type=world.types["a2"], sort="id", order="asc") == [c["zata"], c["anon"]]
    assert await ids(business_area="Hisingen") == [c["zata"]]
    assert await ids(view="mine") == []


# --- the web UI ---------------------------------------------------------------------------------


async def page(client: httpx.AsyncClient, path: str = "/arenden/alla", **params: Any) -> str:
    response = await client.get(path, params=params or None)
    assert response.status_code == 200, response.text
    return response.text


async def test_the_list_page_has_the_guides_search_and_filters(
    client: httpx.AsyncClient, gw: Any, world: ListWorld
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    html = await page(client)
    assert '<label for="search-q">Sök ärende</label>' in html
    assert 'type="search" id="search-q" name="q"' in html
    assert '<label for="search-detailed">Detaljerad sökning</label>' in html
    assert '<label for="filter-case_type">Ärende</label>' in html
    assert options(html, "case_type") == [
        "Alla",
        "Anmälan till flexlinjen",
        "Ansökan om färdtjänst",
        "Klagomål på buller",
    ]
    assert options(html, "status") == STATUS_OPTIONS
    assert '<label for="filter-business_area">Verksamhetstyp</label>' in html
    assert options(html, "business_area") == ["Alla", "Centrum", "Hisingen"]
    organizations = options(html, "organization")
    assert organizations is not None and organizations[0] == "Alla"
    assert sorted(organizations[1:]) == sorted(
        [f"Förvaltning {world.org_a}", f"Förvaltning {world.org_b}"]
    )
    # "Filtrera i listan" filters the rows shown; it needs JavaScript, so it starts hidden.
    box = re.search(r'<div class="list-filter"[^>]*>.*?</div>', html, re.S)
    assert box and " hidden>" in box.group(0)
    assert '<label for="list-filter">Filtrera i listan</label>' in box.group(0)
    assert 'placeholder="Skriv det du vill filtrera på..."' in box.group(0)
    assert '<script src="/static/case_list.js" defer></script>' in html
    assert "Alla ärenden, sorterade efter Ändrades, fallande" in html  # the table's caption
    assert (await client.get("/static/case_list.js")).status_code == 200
    # Arkiverade ärenden has no status to choose.
    assert options(await page(client, "/arenden/arkiverade"), "status") is None


async def test_filters_with_nothing_to_choose_are_not_shown(
    client: httpx.AsyncClient, gw: Any, world: ListWorld
) -> None:
    await gw.browser_login(client, world.narrow.username, world.narrow.password)
    html = await page(client)
    assert row_ids(html) == [world.cases["filippa"]]
    assert options(html, "case_type") is None  # one case type only
    assert options(html, "business_area") is None  # none of its cases has one
    assert options(html, "organization") is None
    assert options(html, "status") == STATUS_OPTIONS


async def test_a_search_says_what_it_found_and_offers_the_detailed_search(
    client: httpx.AsyncClient, gw: Any, world: ListWorld
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    html = await page(client, q="test", case_type=world.types["a1"])
    text = text_of(html)
    assert 'Grundläggande sökning på "test" resulterade i 1 ärenden.' in text
    assert (
        "Den grundläggande sökningen är designad för att vara snabb och söker endast på utvalda "
        'fält i ärendet. Om du vill söka på alla fält i ärendet klickar du på "Detaljerad sökning".'
    ) in text
    assert "Observera att en detaljerad sökning kan ta lång tid." in text
    assert row_ids(html) == [world.cases["carin"]]  # the search is combined with the filter
    assert 'value="test"' in html and f'<option value="{world.types["a1"]}" selected>' in html

    link = re.search(r'<a href="([^"]+)">Detaljerad sökning</a>', html)
    assert link
    detailed = await page(client, unescape(link.group(1)))
    assert 'Detaljerad sökning på "test" resulterade i 1 ärenden.' in text_of(detailed)
    assert 'id="search-detailed" name="detailed" value="1" checked' in detailed

    none = await page(client, q="abcdefgh")
    assert 'Grundläggande sökning på "abcdefgh" resulterade i 0 ärenden.' in text_of(none)
    assert "Det finns inga ärenden att visa." in none
    assert "Visar 0 av 0 ärenden" in none
    found = await page(client, q="kanelbulle", detailed="1")
    assert row_ids(found) == [world.cases["carin"]]


async def test_every_column_header_sorts_first_descending_then_ascending(
    client: httpx.AsyncClient, gw: Any, world: ListWorld
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    html = await page(client)
    changed = header(html, "Ändrades")
    assert 'aria-sort="descending"' in changed and "▼" in changed
    title = header(html, "Ärende")
    assert "aria-sort" not in title
    assert href_of(title) == "/arenden/alla?sort=title"  # descending is the default order
    assert "sortera fallande" in title

    descending = await page(client, sort="title")
    title = header(descending, "Ärende")
    assert 'aria-sort="descending"' in title and "▼" in title
    assert href_of(title) == "/arenden/alla?sort=title&order=asc"
    assert "sortera stigande" in title
    assert "aria-sort" not in header(descending, "Ändrades")

    ascending = await page(client, sort="title", order="asc")
    title = header(ascending, "Ärende")
    assert 'aria-sort="ascending"' in title and "▲" in title
    assert href_of(title) == "/arenden/alla?sort=title"
    c = world.cases
    # Anmälan… (carin, asa) < Ansökan… (anon, zata) < Klagomål… (filippa); ties by id
    assert row_ids(ascending) == sorted([c["carin"], c["asa"]]) + sorted([c["anon"], c["zata"]]) + [
        c["filippa"]
    ]
    assert row_ids(descending) == list(reversed(row_ids(ascending)))
    submitter = await page(client, sort="submitter", order="asc", q="", status="any")
    # no name (anonymous) first, then Swedish order: Z < Å < Ö
    assert row_ids(submitter)[0] == c["anon"]
    assert row_ids(submitter)[-3:] == [c["zata"], *sorted([c["asa"], c["closed"]])]


async def test_paging_next_previous_and_first(
    client: httpx.AsyncClient, gw: Any, world: ListWorld, gateway_app: Any
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    settings = gateway_app.state.settings
    original, settings.page_size = settings.page_size, 2
    try:
        first = await page(client, status="any")
        assert "Visar 2 av 6 ärenden" in first
        assert "Föregående sida" not in first and "Första sidan" not in first
        second = await page(
            client, href_of(re.search(r'<a href="[^"]+" rel="next">', first).group(0))
        )
        assert "Visar 2 av 6 ärenden" in second
        assert "Första sidan" in second and 'rel="prev"' in second
        third = await page(
            client, href_of(re.search(r'<a href="[^"]+" rel="next">', second).group(0))
        )
        assert 'rel="next"' not in third
        seen = row_ids(first) + row_ids(second) + row_ids(third)
        assert sorted(seen) == sorted(world.cases.values())
        back = await page(
            client, href_of(re.search(r'<a href="[^"]+" rel="prev">', third).group(0))
        )
        assert row_ids(back) == row_ids(second)
        start = await page(
            client, href_of(re.search(r'<a href="[^"]+">Första sidan</a>', third).group(0))
        )
        assert row_ids(start) == row_ids(first)
    finally:
        settings.page_size = original


async def test_the_star_and_the_reference_above_the_id(
    client: httpx.AsyncClient, gw: Any, world: ListWorld
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    html = await page(client)
    zata = re.search(rf'<tr id="arende-{world.cases["zata"]}".*?</tr>', html, re.S)
    assert zata
    assert (
        '<span class="star" role="img" aria-label="Kompletterad av användaren" '
        'title="Kompletterad av användaren">★</span>'
    ) in zata.group(0)
    asa = re.search(rf'<tr id="arende-{world.cases["asa"]}".*?</tr>', html, re.S)
    assert asa and "★" not in asa.group(0)
    assert re.search(
        rf'<span class="reference__text">DNR 2026/77</span>\s*'
        rf'<span class="reference__id">{world.cases["asa"]}</span>',
        asa.group(0),
    )


async def test_the_list_in_english(client: httpx.AsyncClient, gw: Any, world: ListWorld) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    html = await page(client, q="test", lang="en")
    assert '<label for="search-q">Search cases</label>' in html
    assert '<label for="search-detailed">Detailed search</label>' in html
    assert options(html, "status")[:2] == ["All (not Closed)", "All"]  # type: ignore[index]
    assert '<label for="filter-business_area">Business area</label>' in html
    assert '<label for="list-filter">Filter the list</label>' in html
    assert 'Basic search for "test" found 2 cases.' in text_of(html)
    assert "Showing 2 of 2 cases" in html


async def test_a_hand_edited_address_shows_the_list_not_an_error(
    client: httpx.AsyncClient, gw: Any, world: ListWorld
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)
    html = await page(
        client, sort="namn", order="upp", status="öppen", cursor="trasig", detailed="kanske"
    )
    assert len(row_ids(html)) == 5
    assert 'aria-sort="descending"' in header(html, "Ändrades")


async def test_an_estimated_total_is_shown_as_about(
    client: httpx.AsyncClient,
    gw: Any,
    world: ListWorld,
    case_service_via: Callable[[Any], None],
) -> None:
    await gw.browser_login(client, world.wide.username, world.wide.password)

    def estimated(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "items": [],
                "total": 48_204,
                "total_exact": False,
                "limit": 25,
                "next_cursor": None,
                "prev_cursor": None,
                "sort": "updated_at",
                "order": "desc",
                "facets": {"case_types": [], "organizations": [], "business_areas": []},
            },
        )

    case_service_via(estimated)
    html = await page(client, q="son")
    assert "Visar 0 av cirka 48\u00a0000 ärenden" in html
    assert 'Grundläggande sökning på "son" resulterade i cirka 48\u00a0000 ärenden.' in unescape(
        html
    )
    english = await page(client, q="son", lang="en")
    assert "Showing 0 of about 48,000 cases" in english
