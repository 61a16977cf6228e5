"""Personal settings (F-AD-4, F-NO-4): the name and signature submitters see, and alerts.

Every change of a staff member's settings, contact details or grants is published as
StaffSettingsChanged through the outbox, in the same transaction: notification-service keeps a
replica of it to decide who gets an alert (docs/decisions/0011-notifications.md).
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from arende_contracts.events import StaffSettingsChanged
from arende_platform.logging import correlation_id
from arende_platform.outbox import event_row, stage
from gateway.models import StaffUser, outbox

SERVICE = "gateway"


class PersonalSettings(BaseModel):
    """What a staff member sets for themselves; name, e-mail and phone are shown, not set here
    (an administrator keeps them)."""

    username: str
    name: str
    email: str | None
    phone: str | None
    display_name: str | None = Field(
        description="The name submitters see on what you write to them; empty: your name"
    )
    signature: str | None = Field(description="Added below what you write to submitters")
    alert_new_case: bool = Field(description="E-mail me when a case comes in that I may handle")
    alert_assigned: bool = Field(description="E-mail me when a case is assigned to me")
    alert_sms: bool = Field(description="Send the alerts by SMS too (to my phone number)")


class PersonalSettingsPatch(BaseModel):
    """A partial change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    signature: str | None = Field(default=None, max_length=2000)
    alert_new_case: bool | None = None
    alert_assigned: bool | None = None
    alert_sms: bool | None = None


def settings_of(user: StaffUser) -> PersonalSettings:
    return PersonalSettings(
        username=user.username,
        name=user.name,
        email=user.email,
        phone=user.phone,
        display_name=user.display_name,
        signature=user.signature,
        alert_new_case=user.alert_new_case,
        alert_assigned=user.alert_assigned,
        alert_sms=user.alert_sms,
    )


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


async def update_settings(
    session: AsyncSession, user: StaffUser, patch: PersonalSettingsPatch
) -> PersonalSettings:
    """Apply a change and publish the new state."""
    changes = patch.model_dump(exclude_unset=True)
    if "display_name" in changes:
        user.display_name = _clean(patch.display_name)
    if "signature" in changes:
        user.signature = _clean(patch.signature)
    for flag in ("alert_new_case", "alert_assigned", "alert_sms"):
        value = changes.get(flag)
        if value is not None:
            setattr(user, flag, value)
    await session.flush()
    await publish_staff(session, user)
    return settings_of(user)


async def publish_staff(session: AsyncSession, user: StaffUser) -> None:
    """Stage StaffSettingsChanged with the user's current state, in the caller's transaction."""
    # A new account is in no group yet (its relationship is not loaded, and loading it here
    # would be I/O outside the async driver).
    groups = [] if "groups" in inspect(user).unloaded else [g.code for g in user.groups]
    event = StaffSettingsChanged(
        correlation_id=correlation_id.get() or "",
        producer=SERVICE,
        data={
            "username": user.username,
            "name": user.name,
            "display_name": user.display_name,
            "email": user.email,
            "phone": user.phone,
            "active": user.active,
            "superuser": user.superuser,
            "grants": [
                {
                    "organization": g.organization,
                    "role": g.role,
                    "case_types": list(g.case_types) if g.case_types is not None else None,
                }
                for g in user.grants
            ],
            "groups": groups,
            "alert_new_case": user.alert_new_case,
            "alert_assigned": user.alert_assigned,
            "alert_sms": user.alert_sms,
            "changed_at": datetime.now(UTC),
        },
    )
    await stage(session, outbox, [event_row(event)])


async def publish_members(session: AsyncSession, usernames: Iterable[str]) -> None:
    """Publish the accounts whose group membership changed (read anew after the flush)."""
    names = set(usernames)
    if not names:
        return
    users = await session.scalars(
        select(StaffUser)
        .where(StaffUser.username.in_(names))
        .options(selectinload(StaffUser.groups), selectinload(StaffUser.grants))
        .execution_options(populate_existing=True)
    )
    for user in users.all():
        await publish_staff(session, user)
