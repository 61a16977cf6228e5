"""Administration through the gateway: organizations and case types (owned by case-service)
and staff accounts with grants (owned by the gateway); who may do what (F-AD-1, F-AD-2)."""

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

PASSWORD = "ett-langt-losenord-123"


def user(username: str, grants: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "username": username,
        "name": "Ny Person",
        "password": PASSWORD,
        "grants": grants,
        **extra,
    }


async def test_superuser_sets_up_an_organization_and_case_types(gw: Any) -> None:
    code = await gw.organization()
    duplicate = await gw.admin(
        "POST", "/api/v1/admin/organizations", json={"code": code, "name": "Igen"}
    )
    assert duplicate.status_code == 409
    renamed = await gw.admin(
        "PATCH", f"/api/v1/admin/organizations/{code}", json={"name": "Trafikkontoret"}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Trafikkontoret"

    case_type = await gw.case_type(code)
    changed = await gw.admin(
        "PATCH",
        f"/api/v1/admin/case-types/{case_type}",
        json={"archive_days": 0, "notify_email": True, "retention_decision": "Gallringsbeslut 1"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["archive_days"] == 0
    assert changed.json()["notify_email"] is True
    assert changed.json()["purge_days"] == 730
    listed = await gw.admin("GET", "/api/v1/admin/case-types")
    assert case_type in [c["code"] for c in listed.json()]
    missing = await gw.admin("PATCH", "/api/v1/admin/case-types/finns-inte", json={"active": False})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/admin/organizations", {"code": "a b", "name": "Mellanslag"}),
        ("/api/v1/admin/organizations", {"code": "x"}),
        ("/api/v1/admin/case-types", {"code": "x", "name": "X", "organization": "y", "bad": 1}),
        (
            "/api/v1/admin/case-types",
            {"code": "x", "name": "X", "organization": "y", "archive_days": -1},
        ),
        ("/api/v1/admin/users", {"username": "kort", "name": "K", "password": "kort"}),
    ],
    ids=["code-pattern", "missing-name", "unknown-field", "negative-days", "short-password"],
)
async def test_bad_payloads_are_422_with_a_text_detail(
    gw: Any, path: str, body: dict[str, Any]
) -> None:
    response = await gw.admin("POST", path, json=body)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)
    assert "kort" not in str(response.json().get("errors"))  # the password is never echoed


async def test_local_admin_manages_staff_of_their_own_organization_only(
    client: httpx.AsyncClient, gw: Any
) -> None:
    mine, other = await gw.organization(), await gw.organization()
    local_admin = await gw.staff([{"organization": mine, "role": "admin"}])
    headers = local_admin.headers

    created = await client.post(
        "/api/v1/admin/users",
        json=user("x1behand", [{"organization": mine, "role": "handler"}], email="b@stad.se"),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["grants"] == [
        {"organization": mine, "role": "handler", "case_types": None}
    ]
    assert "password" not in created.text and "argon2" not in created.text

    duplicate = await client.post(
        "/api/v1/admin/users",
        json=user("X1BEHAND", [{"organization": mine, "role": "handler"}]),
        headers=headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "Användaren x1behand finns redan"

    for grants in (
        [{"organization": other, "role": "handler"}],
        [{"organization": mine, "role": "handler"}, {"organization": other, "role": "reviewer"}],
        [],
    ):
        refused = await client.post(
            "/api/v1/admin/users", json=user("x2behand", grants), headers=headers
        )
        assert refused.status_code == 403, grants
    superuser = await client.post(
        "/api/v1/admin/users",
        json=user("x3behand", [{"organization": mine, "role": "admin"}], superuser=True),
        headers=headers,
    )
    assert superuser.status_code == 403

    listed = await client.get("/api/v1/admin/users", headers=headers)
    assert listed.status_code == 200
    assert sorted(u["username"] for u in listed.json()) == sorted(
        ["x1behand", local_admin.username]
    )
    changed = await client.patch(
        "/api/v1/admin/users/x1behand",
        json={"name": "Behzad Andishmand", "grants": [{"organization": mine, "role": "receiver"}]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Behzad Andishmand"
    assert [g["role"] for g in changed.json()["grants"]] == ["receiver"]
    case_type = await gw.case_type(mine)
    narrowed = await client.patch(
        "/api/v1/admin/users/x1behand",
        json={"grants": [{"organization": mine, "role": "receiver", "case_types": [case_type]}]},
        headers=headers,
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["grants"][0]["case_types"] == [case_type]
    emptied = await client.patch(
        "/api/v1/admin/users/x1behand", json={"name": None}, headers=headers
    )
    assert emptied.status_code == 422
    assert emptied.json()["detail"] == "Fältet name får inte vara tomt"
    moved = await client.patch(
        "/api/v1/admin/users/x1behand",
        json={"grants": [{"organization": other, "role": "handler"}]},
        headers=headers,
    )
    assert moved.status_code == 403
    admin_account = await client.patch(
        "/api/v1/admin/users/admin", json={"name": "Inte du"}, headers=headers
    )
    assert admin_account.status_code == 404


async def test_grants_must_name_existing_organizations_and_case_types(gw: Any) -> None:
    organization = await gw.organization()
    unknown_org = await gw.admin(
        "POST",
        "/api/v1/admin/users",
        json=user("y1", [{"organization": "finns-inte", "role": "handler"}]),
    )
    assert unknown_org.status_code == 422
    assert unknown_org.json()["detail"] == "Okänd förvaltning: finns-inte"
    unknown_type = await gw.admin(
        "POST",
        "/api/v1/admin/users",
        json=user("y1", [{"organization": organization, "role": "handler", "case_types": ["nej"]}]),
    )
    assert unknown_type.status_code == 422
    twice = await gw.admin(
        "POST",
        "/api/v1/admin/users",
        json=user(
            "y1",
            [{"organization": organization, "role": "handler"}] * 2,
        ),
    )
    assert twice.status_code == 422


async def test_caseworkers_without_admin_rights_administer_nothing(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    headers = scenario.handler.headers
    assert (await client.get("/api/v1/admin/users", headers=headers)).status_code == 403
    org = await client.post(
        "/api/v1/admin/organizations", json={"code": "egen", "name": "Egen"}, headers=headers
    )
    assert org.status_code == 403
    assert isinstance(org.json()["detail"], str)
    case_type = await client.post(
        "/api/v1/admin/case-types",
        json={"code": "egen", "name": "Egen", "organization": scenario.organization},
        headers=headers,
    )
    assert case_type.status_code == 403
    visible = await client.get("/api/v1/admin/organizations", headers=headers)
    assert [o["code"] for o in visible.json()] == [scenario.organization]


async def test_nobody_locks_themselves_out(client: httpx.AsyncClient, gw: Any) -> None:
    response = await gw.admin("PATCH", "/api/v1/admin/users/admin", json={"active": False})
    assert response.status_code == 422
    assert (await gw.admin("GET", "/api/v1/admin/users/admin")).json()["active"] is True
