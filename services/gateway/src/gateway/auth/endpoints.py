"""Token endpoint of the integration API (OAuth2 password flow) and the caller's own profile."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from arende_platform.db import transaction
from gateway.auth.deps import CurrentCaseworker, bearer
from gateway.auth.service import check_password, issue_token, revoke_token
from gateway.deps import PasswordsDep, SessionDep, SettingsDep, sessions_of
from gateway.errors import AppError

router = APIRouter(prefix="/api/v1", tags=["authentication"])


@router.post("/token")
async def create_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    settings: SettingsDep,
    passwords: PasswordsDep,
) -> dict[str, Any]:
    """Exchange a staff username and password for a bearer token."""
    sessions = sessions_of(request)
    user_id = await check_password(sessions, passwords, form.username, form.password)
    if user_id is None:
        raise AppError(
            401, "Felaktigt användarnamn eller lösenord", headers={"WWW-Authenticate": "Bearer"}
        )
    async with transaction(sessions) as session:
        token = await issue_token(session, user_id, settings.token_hours)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": settings.token_hours * 3600,
    }


@router.delete("/token", status_code=204)
async def delete_token(
    caseworker: CurrentCaseworker,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer)],
) -> Response:
    """Revoke the bearer token this request was made with."""
    if token:
        await revoke_token(session, token)
    return Response(status_code=204)


@router.get("/me")
async def me(caseworker: CurrentCaseworker) -> dict[str, Any]:
    """The signed-in caller: username, name and grants, as services see them."""
    return caseworker.actor.model_dump(mode="json")
