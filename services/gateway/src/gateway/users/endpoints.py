"""Staff administration API: accounts and their grants, owned by the gateway."""

from fastapi import APIRouter

from gateway.auth.deps import CurrentCaseworker
from gateway.deps import CaseServiceDep, PasswordsDep, SessionDep
from gateway.errors import AppError
from gateway.users.schemas import UserIn, Username, UserOut, UserPatch
from gateway.users.service import (
    create_user,
    find_user,
    list_users,
    update_user,
    user_out,
    visible_to,
)

router = APIRouter(prefix="/api/v1/admin/users", tags=["administration"])


@router.get("", response_model=list[UserOut])
async def get_users(caseworker: CurrentCaseworker, session: SessionDep) -> list[UserOut]:
    """Accounts the caller administers (every account for a superuser)."""
    return await list_users(session, caseworker.actor)


@router.post("", status_code=201, response_model=UserOut)
async def post_user(
    body: UserIn,
    caseworker: CurrentCaseworker,
    session: SessionDep,
    passwords: PasswordsDep,
    case_service: CaseServiceDep,
) -> UserOut:
    """Create an account (a superuser, or an `admin` of every organization in its grants)."""
    return await create_user(session, passwords, case_service, caseworker.actor, body)


@router.get("/{username}", response_model=UserOut)
async def get_user(
    username: Username, caseworker: CurrentCaseworker, session: SessionDep
) -> UserOut:
    """One account the caller administers."""
    user = await find_user(session, username)
    if user is None or not visible_to(caseworker.actor, user):
        raise AppError(404, "Användaren finns inte")
    return user_out(user)


@router.patch("/{username}", response_model=UserOut)
async def patch_user(
    username: Username,
    body: UserPatch,
    caseworker: CurrentCaseworker,
    session: SessionDep,
    passwords: PasswordsDep,
    case_service: CaseServiceDep,
) -> UserOut:
    """Change an account; `grants` replaces all grants; a new password or deactivation signs
    the user out of every session and token."""
    return await update_user(session, passwords, case_service, caseworker.actor, username, body)
