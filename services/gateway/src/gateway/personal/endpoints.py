"""Personal settings: `GET/PATCH /api/v1/me/settings` and the page "Personliga inställningar"
(`/installningar`), a form with the session's CSRF token like every other form."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from arende_platform.db import transaction
from gateway.auth.deps import CurrentCaseworker, WebCaseworker, csrf_matches
from gateway.case_actions.endpoints import posted_form
from gateway.deps import SessionDep, sessions_of
from gateway.errors import AppError, request_language
from gateway.i18n import translate
from gateway.models import StaffUser
from gateway.personal.service import (
    PersonalSettings,
    PersonalSettingsPatch,
    settings_of,
    update_settings,
)
from gateway.web.rendering import render

router = APIRouter(tags=["personal settings"])
PAGE = "/installningar"
SAVED = "Dina inställningar har sparats."
INVALID_FORM = "Formuläret har gått ut eller skickades från en annan sida. Försök igen."


async def _user(session: SessionDep, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise AppError(401, "Inloggning krävs")
    return user


@router.get("/api/v1/me/settings", response_model=PersonalSettings)
async def get_settings(caseworker: CurrentCaseworker, session: SessionDep) -> PersonalSettings:
    """The caller's personal settings (F-AD-4)."""
    return settings_of(await _user(session, caseworker.user_id))


@router.patch("/api/v1/me/settings", response_model=PersonalSettings)
async def patch_settings(
    body: PersonalSettingsPatch, caseworker: CurrentCaseworker, session: SessionDep
) -> PersonalSettings:
    """Change the caller's display name, signature or alerts; absent fields stay."""
    return await update_settings(session, await _user(session, caseworker.user_id), body)


@router.get(PAGE, include_in_schema=False)
async def settings_page(request: Request, caseworker: WebCaseworker) -> Response:
    async with transaction(sessions_of(request)) as session:
        current = settings_of(await _user(session, caseworker.user_id))
    saved = (
        translate(SAVED, request_language(request)) if request.query_params.get("sparat") else None
    )
    return render(
        request,
        "personal_settings.html",
        {"settings": current, "saved": saved, "error": None, "nav_current": "installningar"},
        caseworker=caseworker,
    )


@router.post(PAGE, include_in_schema=False)
async def save_settings(request: Request, caseworker: WebCaseworker) -> Response:
    lang = request_language(request)
    async with posted_form(request) as form:
        if not csrf_matches(str(form.get("csrf_token") or ""), caseworker.csrf_token):
            raise AppError(403, INVALID_FORM)
        values: dict[str, object] = {
            "display_name": str(form.get("display_name") or ""),
            "signature": str(form.get("signature") or ""),
            **{
                flag: bool(form.get(flag))
                for flag in ("alert_new_case", "alert_assigned", "alert_sms")
            },
        }
    try:
        patch = PersonalSettingsPatch.model_validate(values)
    except ValidationError:
        async with transaction(sessions_of(request)) as session:
            current = settings_of(await _user(session, caseworker.user_id))
        error = translate("Namnet eller signaturen är för lång.", lang)
        return render(
            request,
            "personal_settings.html",
            {"settings": current, "saved": None, "error": error, "nav_current": "installningar"},
            caseworker=caseworker,
            status_code=422,
        )
    async with transaction(sessions_of(request)) as session:
        await update_settings(session, await _user(session, caseworker.user_id), patch)
    return RedirectResponse(f"{PAGE}?sparat=1", status_code=303)
