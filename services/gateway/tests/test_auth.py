"""Staff login for the API: the OAuth2 password flow and bearer tokens (F-AD-1)."""

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

ADMIN, ADMIN_PASSWORD = "admin", "bootstrap-losenord-1"
NEW_PASSWORD = "ett-annat-langt-losenord"


async def test_token_for_the_right_password_opens_the_api(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/token", data={"username": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 8 * 3600
    assert len(body["access_token"]) >= 40
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == ADMIN
    assert me.json()["superuser"] is True


@pytest.mark.parametrize(
    ("username", "password"),
    [(ADMIN, "fel-losenord-12345"), ("finns-inte", ADMIN_PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
async def test_wrong_credentials_get_401_with_a_detail(
    client: httpx.AsyncClient, username: str, password: str
) -> None:
    response = await client.post("/api/v1/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "Felaktigt användarnamn eller lösenord"}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_errors_come_in_the_callers_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/token",
        data={"username": ADMIN, "password": "fel-losenord-12345"},
        headers={"Accept-Language": "en-GB,en;q=0.9,sv;q=0.5"},
    )
    assert response.json() == {"detail": "Incorrect username or password"}


async def test_missing_form_fields_are_a_422_with_a_text_detail(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/token", data={"username": ADMIN})
    assert response.status_code == 422
    assert "password" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}],
    ids=["none", "unknown-token", "basic"],
)
async def test_the_api_refuses_callers_without_a_valid_token(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for path in ("/api/v1/cases", "/api/v1/cases/10000", "/api/v1/admin/users", "/api/v1/me"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert isinstance(response.json()["detail"], str)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_token_no_longer_works(client: httpx.AsyncClient, gw: Any) -> None:
    headers = await gw.token(ADMIN, ADMIN_PASSWORD)
    assert (await client.delete("/api/v1/token", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_new_password_or_deactivation_signs_the_user_out(
    client: httpx.AsyncClient, gw: Any
) -> None:
    staff = await gw.staff([])
    changed = await gw.admin(
        "PATCH", f"/api/v1/admin/users/{staff.username}", json={"password": NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/me", headers=staff.headers)).status_code == 401
    old = await client.post(
        "/api/v1/token", data={"username": staff.username, "password": staff.password}
    )
    assert old.status_code == 401

    headers = await gw.token(staff.username, NEW_PASSWORD)
    off = await gw.admin("PATCH", f"/api/v1/admin/users/{staff.username}", json={"active": False})
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    again = await client.post(
        "/api/v1/token", data={"username": staff.username, "password": NEW_PASSWORD}
    )
    assert again.status_code == 401


async def test_usernames_are_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/token", data={"username": " ADMIN ", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
