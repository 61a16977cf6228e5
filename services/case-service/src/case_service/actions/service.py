"""The caseworker's actions on a case (F-CV-2..7, F-TW-1, F-NO-1).

Each action runs in the request's transaction and writes, together: the change to the case, its
timeline events, an access-log entry, and the outbox rows — the internal event (CaseAssigned,
CaseUpdated, CaseClosed), a `case.event` on `eservice.public` for every external timeline event
(never for an internal one), and a NotificationRequested per channel when an external event
should notify the submitter. See docs/decisions/0005-case-actions.md.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arende_contracts.access import Actor
from arende_contracts.events import (
    CaseAssigned,
    CaseClosed,
    CaseUpdated,
    EventEnvelope,
    NotificationRequested,
)
from arende_contracts.external import ROUTING_PUBLIC_CASE_EVENT, PublicCaseEvent
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus, status_label
from arende_platform.logging import correlation_id
from arende_platform.outbox import event_row, stage
from case_service.access_log import repository as access_log
from case_service.actions.schemas import (
    AcknowledgeIn,
    AssignIn,
    ClassifyIn,
    CloseIn,
    ReferenceIn,
    SwitchUserIn,
    UpdateIn,
)
from case_service.attachments.service import prepare_files
from case_service.attachments.storage import save_attachments
from case_service.cases.detail import LoadedCase, load_case
from case_service.errors import CaseError
from case_service.models import CaseEvent, outbox
from case_service.permissions import check_action, may_handle
from case_service.public import public_row

SERVICE = "case-service"
SUBMITTER = "submitter"
CLOSE_TITLE = "Ändrar status till Avslutad"
SWITCH_USER_TITLE = "Byte av användare"
REFERENCE_TITLE = "Referens ändrad"
CLASSIFY_TITLE = "Prioritet och kategori"


def status_title(status: CaseStatus | str) -> str:
    """The default title of the external event of a status change: "Ändrar status till X"."""
    return f"Ändrar status till {status_label(status)}"


def display_name(actor: Actor) -> str:
    """The name submitters see: the personal setting (F-AD-4), else the account's name."""
    return actor.display_name or actor.name or actor.username


@dataclass
class _Event:
    kind: str
    internal: bool
    title: str
    message: str
    files: list[dict[str, Any]] = field(default_factory=list)


class CaseChange:
    """One action on one locked case: collects what it records, then writes it all at once."""

    def __init__(self, loaded: LoadedCase, actor: Actor | None, action: str, notify: bool) -> None:
        """`actor` None means the submitter acts (two-way communication, F-TW-1..3)."""
        self.loaded = loaded
        self.actor = actor
        self.action = action
        self.notify = notify
        self.events: list[_Event] = []
        self.domain_events: list[EventEnvelope] = []
        self.initial_status = loaded.case.status
        self._waiting: dict[str, Any] | None = None

    @property
    def case(self) -> Any:
        return self.loaded.case

    @property
    def author(self) -> str | None:
        """The timeline's author: the caseworker's username, none for the submitter."""
        return self.actor.username if self.actor is not None else None

    @property
    def by(self) -> str:
        """Who changed the case, for events to other services."""
        return self.actor.username if self.actor is not None else SUBMITTER

    def add(self, kind: str, *, internal: bool, title: str, message: str = "") -> _Event:
        if message and not internal and self.actor is not None and self.actor.signature:
            # What a caseworker writes to the submitter ends with their signature (F-AD-4).
            message = f"{message}\n\n{self.actor.signature}"
        event = _Event(kind, internal, title, message)
        self.events.append(event)
        return event

    def envelope_base(self) -> dict[str, Any]:
        # Events of one change keep their order for consumers that compare occurred_at.
        at = self.loaded.now + timedelta(microseconds=len(self.domain_events))
        return {
            "correlation_id": self.case.correlation_id or correlation_id.get() or "",
            "producer": SERVICE,
            "occurred_at": at,
        }

    def facts(self) -> dict[str, Any]:
        return {
            "case_id": self.case.id,
            "case_type": self.loaded.case_type.code,
            "organization": self.loaded.organization.code,
        }

    def waiting(self) -> dict[str, Any]:
        """The change's effect on waiting for the submitter (F-AD-8), once the new status is set:
        entering Väntar på komplettering starts the clock, leaving it adds the wait to the case's
        total. The fields every case event carries, so handling times can leave waits out."""
        if self._waiting is None:
            case, now = self.case, self.loaded.now
            ended = 0
            waits = case.status == CaseStatus.AWAITING_SUBMITTER
            if self.initial_status == CaseStatus.AWAITING_SUBMITTER and not waits:
                if case.awaiting_since is not None:
                    ended = max(0, int((now - case.awaiting_since).total_seconds()))
                case.waiting_seconds = (case.waiting_seconds or 0) + ended
                case.awaiting_since = None
            elif waits and self.initial_status != CaseStatus.AWAITING_SUBMITTER:
                case.awaiting_since = now
            self._waiting = {
                "waiting_seconds": ended,
                "total_waiting_seconds": case.waiting_seconds or 0,
                "awaiting_submitter_since": case.awaiting_since,
            }
        return self._waiting

    def assigned(self, handler: str | None, group: str | None, notify: bool) -> None:
        self.domain_events.append(
            CaseAssigned(
                **self.envelope_base(),
                data={
                    **self.facts(),
                    "case_type_name": self.loaded.case_type.name,
                    "handler": handler,
                    "group": group,
                    "assigned_by": self.by,
                    "notify": notify,
                },
            )
        )

    def updated(self, previous_status: str, **extra: Any) -> None:
        """CaseUpdated; `extra` carries update_kind, priority, category when they apply."""
        self.domain_events.append(
            CaseUpdated(
                **self.envelope_base(),
                data={
                    **self.facts(),
                    "status": self.case.status,
                    "previous_status": previous_status,
                    "updated_by": self.by,
                    "notify": self.notify,
                    **self.waiting(),
                    **extra,
                },
            )
        )

    def closed(self) -> None:
        self.domain_events.append(
            CaseClosed(
                **self.envelope_base(),
                data={
                    **self.facts(),
                    "status": self.case.status,
                    "closed_by": self.by,
                    **self.waiting(),
                },
            )
        )

    def auto_assign(self) -> None:
        """A case without handler gets the caseworker who changes it (guide 5.1); so does a
        case of a handler group when one of its members changes it: that member takes it, and
        it leaves the other members' Mina ärenden (F-AD-3)."""
        case = self.case
        if self.actor is None or case.handler:
            return
        if case.handler_group and case.handler_group not in self.actor.groups:
            return
        if not may_handle(self.actor, self.loaded.organization.code, self.loaded.case_type.code):
            return
        case.handler, case.handler_group = self.actor.username, None
        self.assigned(self.actor.username, None, notify=False)

    def _recipients(self) -> list[tuple[str, str]]:
        case, case_type = self.case, self.loaded.case_type
        channels = []
        if case_type.notify_sms and case.submitter_phone:
            channels.append(("sms", case.submitter_phone))
        if case_type.notify_email and case.submitter_email:
            channels.append(("email", case.submitter_email))
        return channels

    async def save(self, session: AsyncSession, detail: str) -> list[str]:
        """Write the change; return where notifications go (empty when none)."""
        case, now = self.case, self.loaded.now
        case.updated_at = now
        await session.flush()
        rows: list[dict[str, Any]] = []
        for event in self.events:
            event_id = (
                await session.execute(
                    insert(CaseEvent)
                    .values(
                        case_id=case.id,
                        internal=event.internal,
                        kind=event.kind,
                        status=case.status,
                        title=event.title,
                        message=event.message,
                        author=self.author,
                        created_at=now,
                    )
                    .returning(CaseEvent.id)
                )
            ).scalar_one()
            if event.files:
                await save_attachments(
                    session,
                    [
                        {**f, "case_id": case.id, "event_id": event_id, "created_at": now}
                        for f in event.files
                    ],
                )
            if not event.internal:
                rows.append(self._public_row(event))
        notified: list[str] = []
        statuses = self.loaded.case_type.notify_statuses
        if (
            self.notify
            and any(not e.internal for e in self.events)
            and (statuses is None or case.status in statuses)
        ):
            for channel, recipient in self._recipients():
                notified.append(recipient)
                self.domain_events.append(
                    NotificationRequested(
                        **self.envelope_base(),
                        data={
                            "notification_id": uuid4(),
                            "case_id": case.id,
                            "case_type_name": self.loaded.case_type.name,
                            "channel": channel,
                            "recipient": recipient,
                            "reason": self.action,
                        },
                    )
                )
        rows.extend(event_row(e) for e in self.domain_events)
        await stage(session, outbox, rows)
        if self.actor is not None:  # the access log is about staff
            await access_log.record(session, self.actor, case.id, self.action, detail)
        return notified

    def _public_row(self, event: _Event) -> dict[str, Any]:
        case = self.case
        return public_row(
            ROUTING_PUBLIC_CASE_EVENT,
            PublicCaseEvent(
                submission_id=case.submission_id,
                case_id=case.id,
                status=CaseStatus(case.status),
                title=event.title,
                message=event.message,
                occurred_at=self.loaded.now,
            ),
            case.correlation_id,
        )


@dataclass(frozen=True)
class Outcome:
    """A done action: the case (loaded, changed) and where notifications go."""

    loaded: LoadedCase
    notified: Sequence[str]


async def _begin(
    session: AsyncSession, actor: Actor, case_id: int, action: str, notify: bool = True
) -> CaseChange:
    loaded = await load_case(session, actor, case_id, lock=True)
    check_action(actor, action, loaded.case, loaded.organization.code, loaded.case_type.code)
    return CaseChange(loaded, actor, action, notify)


async def assign_case(session: AsyncSession, actor: Actor, case_id: int, body: AssignIn) -> Outcome:
    """Fördela to a handler or a group; the status becomes Fördelad (F-CV-2)."""
    change = await _begin(session, actor, case_id, "assign", body.notify)
    case = change.case
    previous = case.status
    if body.handler is not None:
        case.handler, case.handler_group = body.handler, None
        who = f"{body.handler_name} ({body.handler})" if body.handler_name else body.handler
        title, detail = f"Fördelat till {who}", f"handler={body.handler}"
    else:
        case.handler, case.handler_group = None, body.group
        who = f"{body.group_name} ({body.group})" if body.group_name else body.group
        title, detail = f"Fördelat till gruppen {who}", f"group={body.group}"
    case.status = CaseStatus.ASSIGNED.value
    # Who got the case is for staff; the submitter sees the status change.
    if previous != case.status:
        change.add("assigned", internal=False, title=status_title(case.status))
    change.add("assigned", internal=True, title=title)
    change.assigned(case.handler, case.handler_group, body.notify)
    notified = await change.save(session, f"{detail}; status {previous}->{case.status}")
    return Outcome(change.loaded, notified)


async def update_case(
    session: AsyncSession, actor: Actor, case_id: int, body: UpdateIn, max_file_bytes: int
) -> Outcome:
    """Uppdatera: status, an external and/or internal event, files (F-CV-3)."""
    change = await _begin(session, actor, case_id, "update", body.notify)
    files = prepare_files([(f.filename, f.data_base64) for f in body.files], max_file_bytes)
    case = change.case
    if body.kind is not None:
        _check_answer_kind(change, body)
    change.auto_assign()
    previous = case.status
    if body.kind == "counter_question":
        case.status = CaseStatus.AWAITING_SUBMITTER.value
    elif body.status is not None and body.status != previous:
        case.status = body.status
    changed = case.status != previous
    kind = "closed" if changed and case.status == CaseStatus.CLOSED else "updated"
    if body.kind is not None and kind != "closed":
        kind = body.kind
    external, internal = body.external_message or None, body.internal_message or None
    visible: _Event | None = None
    if external or not internal:
        visible = change.add(kind, internal=False, title=body.title, message=external or "")
    elif changed:
        # A status change must reach the submitter even when only an internal note was written.
        change.add(kind, internal=False, title=status_title(case.status))
    hidden = (
        change.add(kind, internal=True, title=body.title, message=internal) if internal else None
    )
    # Files go with the event the caseworker wrote to the user, else with the internal one.
    target = visible or hidden
    assert target is not None
    target.files = files
    if kind == "closed":
        change.closed()
    else:
        change.updated(previous, update_kind=body.kind)
    detail = (
        f"status {previous}->{case.status}; external={bool(external)}; "
        f"internal={bool(internal)}; files={len(files)}"
    )
    if body.kind is not None:
        detail += f"; kind={body.kind}"
    notified = await change.save(session, detail)
    return Outcome(change.loaded, notified)


def _check_answer_kind(change: CaseChange, body: UpdateIn) -> None:
    """A delsvar or motfråga is a message to the submitter, who must be able to read it; a
    motfråga also needs two-way communication (the answer comes as a complement) and sets the
    status itself."""
    case, case_type = change.case, change.loaded.case_type
    if not body.external_message:
        raise CaseError(
            422, "answer_needs_message", "a partial answer or counter-question needs a message"
        )
    if case.status in CLOSED_STATUSES:
        raise CaseError(409, "answer_on_closed", "the case is closed")
    if body.kind == "counter_question":
        if body.status is not None:
            raise CaseError(
                422, "counter_question_status", "a counter-question sets the status itself"
            )
        if not case_type.two_way or case.submitter_kind == "anonymous":
            raise CaseError(
                409, "counter_question_one_way", "the submitter cannot answer on this case"
            )


PRIORITY_LABELS = {"low": "Låg", "medium": "Medel", "high": "Hög"}


async def classify_case(
    session: AsyncSession, actor: Actor, case_id: int, body: ClassifyIn
) -> Outcome:
    """Prioritet and kategori (F-AD-6): recorded as an internal event."""
    change = await _begin(session, actor, case_id, "classify", notify=False)
    case = change.case
    changes: list[str] = []
    if body.priority is not None and body.priority != case.priority:
        case.priority = body.priority
        changes.append(f"Prioritet ändrad till {PRIORITY_LABELS[body.priority]}.")
    if body.category is not None and (body.category or None) != case.category:
        case.category = body.category or None
        changes.append(
            f"Kategori ändrad till {case.category}." if case.category else "Kategori borttagen."
        )
    if not changes:
        return Outcome(change.loaded, [])
    change.add("classified", internal=True, title=CLASSIFY_TITLE, message=" ".join(changes))
    change.updated(case.status, priority=case.priority, category=case.category)
    detail = f"priority={case.priority}; category set={bool(case.category)}"
    notified = await change.save(session, detail)
    return Outcome(change.loaded, notified)


async def set_reference(
    session: AsyncSession, actor: Actor, case_id: int, body: ReferenceIn
) -> Outcome:
    """Referens: set, change or remove; recorded as an internal event (F-CV-4)."""
    change = await _begin(session, actor, case_id, "reference", notify=False)
    case = change.case
    new = body.reference or None
    if new == case.reference:
        await access_log.record(session, actor, case.id, "reference", "unchanged")
        return Outcome(change.loaded, [])
    change.auto_assign()
    _reference_event(change, new)
    change.updated(case.status)
    notified = await change.save(session, "reference changed")
    return Outcome(change.loaded, notified)


def _reference_event(change: CaseChange, new: str | None) -> None:
    case = change.case
    old = case.reference
    if old and new:
        message = f"Referensen har ändrats från {old} till {new}."
    elif new:
        message = f"Referensen har satts till {new}."
    else:
        message = f"Referensen {old} har tagits bort."
    case.reference = new
    change.add("reference", internal=True, title=REFERENCE_TITLE, message=message)


async def close_case(session: AsyncSession, actor: Actor, case_id: int, body: CloseIn) -> Outcome:
    """Avsluta: status Avslutad, events as in Uppdatera, optionally a new reference (F-CV-5)."""
    change = await _begin(session, actor, case_id, "close", body.notify)
    case = change.case
    change.auto_assign()
    previous = case.status
    case.status = CaseStatus.CLOSED.value
    title = body.title or CLOSE_TITLE
    external, internal = body.external_message or None, body.internal_message or None
    if external or not internal:
        change.add("closed", internal=False, title=title, message=external or "")
    else:
        change.add("closed", internal=False, title=CLOSE_TITLE)
    if internal:
        change.add("closed", internal=True, title=title, message=internal)
    reference_changed = body.reference is not None and (body.reference or None) != case.reference
    if reference_changed:
        _reference_event(change, body.reference or None)
    change.closed()
    detail = (
        f"status {previous}->{case.status}; external={bool(external)}; "
        f"internal={bool(internal)}; reference changed={reference_changed}"
    )
    notified = await change.save(session, detail)
    return Outcome(change.loaded, notified)


async def switch_user(
    session: AsyncSession, actor: Actor, case_id: int, body: SwitchUserIn
) -> Outcome:
    """Byt användare on an employee's case; the submitted form stays as it was (F-CV-6)."""
    change = await _begin(session, actor, case_id, "switch_user", notify=False)
    case = change.case
    old = case.submitter_account or ""
    case.submitter_account, case.submitter_name = body.account, body.name
    # The contact details were the previous user's; notifications must not follow them.
    case.submitter_email = case.submitter_phone = None
    message = f"Användare har bytts från {old} till {body.account} av {display_name(actor)}"
    if body.other_account is not None:
        case.other_account, case.other_name = body.other_account, body.other_name
        message += (
            f"\nAnnan användare som kan komma åt ärendet: {body.other_name} ({body.other_account})"
        )
    change.add("switch_user", internal=True, title=SWITCH_USER_TITLE, message=message)
    change.updated(case.status)
    notified = await change.save(session, f"from {old} to {body.account}")
    return Outcome(change.loaded, notified)


async def acknowledge_complement(
    session: AsyncSession, actor: Actor, case_id: int, body: AcknowledgeIn
) -> Outcome:
    """Kvittera the submitter's complement (F-TW-1).

    The star goes; the status returns to handling: Behandlas when the case has a handler (or
    group), else Inväntar handläggning, so that it is picked up again.
    """
    change = await _begin(session, actor, case_id, "acknowledge", body.notify)
    case = change.case
    previous = case.status
    has_owner = bool(case.handler or case.handler_group)
    case.status = CaseStatus.IN_PROGRESS.value if has_owner else CaseStatus.AWAITING_HANDLING.value
    case.starred = False
    title = f"Senaste komplettering från användaren har kvitterats av {display_name(actor)}"
    change.add("acknowledged", internal=False, title=title)
    change.updated(previous)
    notified = await change.save(session, f"status {previous}->{case.status}")
    return Outcome(change.loaded, notified)
