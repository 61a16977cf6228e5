"""What an actor may do with a case: roles per action (F-AD-1), and the case's own state.

The scope (which cases an actor sees at all) is `access.visible_case_type_ids`; a case outside
it is never found. Within the scope, a reviewer (Granskare) only reads, a receiver
(Ärendemottagare) also distributes and sets the reference, a handler (Handläggare) or local
administrator does everything, and so does a superuser. An archived case is read-only.
"""

from arende_contracts.access import Actor
from arende_contracts.statuses import CLOSED_STATUSES, CaseStatus
from case_service.errors import CaseError
from case_service.models import Case

HANDLING = frozenset({"handler", "admin"})
DISTRIBUTING = frozenset({"receiver", "handler", "admin"})

# action -> the roles that may do it (in the order of the case view's buttons)
ACTION_ROLES: dict[str, frozenset[str]] = {
    "assign": DISTRIBUTING,
    "update": HANDLING,
    "reference": DISTRIBUTING,
    "close": HANDLING,
    "switch_user": HANDLING,
    "acknowledge": HANDLING,
}
ACTIONS = tuple(ACTION_ROLES)
# Actions on a case that are not buttons of its header: Prioritet/kategori and internal tasks
# (F-AD-6), for whoever distributes; `more_actions` of the case view.
MORE_ACTION_ROLES: dict[str, frozenset[str]] = {
    "classify": DISTRIBUTING,
    "task": DISTRIBUTING,
}


def roles_on(actor: Actor, organization: str, case_type: str) -> set[str]:
    """The actor's roles on cases of this organization and case type."""
    return {
        g.role
        for g in actor.grants
        if g.organization == organization and (g.case_types is None or case_type in g.case_types)
    }


def may_handle(actor: Actor, organization: str, case_type: str) -> bool:
    """Whether the actor handles such cases (and so becomes handler when updating one)."""
    return actor.superuser or bool(roles_on(actor, organization, case_type) & HANDLING)


def _role_allows(actor: Actor, action: str, organization: str, case_type: str) -> bool:
    allowed = ACTION_ROLES.get(action) or MORE_ACTION_ROLES[action]
    return actor.superuser or bool(roles_on(actor, organization, case_type) & allowed)


def _state_refusal(action: str, case: Case) -> CaseError | None:
    status = case.status
    if action == "assign" and status in CLOSED_STATUSES:
        return CaseError(409, "closed_case", "a closed case cannot be assigned")
    if action == "close" and status == CaseStatus.CLOSED:
        return CaseError(409, "already_closed", "the case is already closed")
    if action == "switch_user" and case.submitter_kind != "employee":
        return CaseError(
            409,
            "not_employee_case",
            "the user can only be switched on cases submitted by an employee (staden-konto)",
        )
    if action == "acknowledge" and status != CaseStatus.COMPLEMENTED:
        return CaseError(409, "not_complemented", "there is no complement to acknowledge")
    return None


def check_action(actor: Actor, action: str, case: Case, organization: str, case_type: str) -> None:
    """Raise the refusal of `action` on `case`: archived (409), role (403), state (409)."""
    if case.status == CaseStatus.ARCHIVED:
        raise CaseError(409, "archived", "the case is archived and cannot be changed")
    if not _role_allows(actor, action, organization, case_type):
        raise CaseError(403, "role", f"your role does not allow {action} on this case")
    refusal = _state_refusal(action, case)
    if refusal is not None:
        raise refusal


def refusals(actor: Actor, case: Case, organization: str, case_type: str) -> dict[str, str | None]:
    """Per action, the code of its refusal (as `check_action` raises it), or None if allowed:
    the buttons of the case view."""
    result: dict[str, str | None] = {}
    for action in ACTIONS:
        try:
            check_action(actor, action, case, organization, case_type)
        except CaseError as exc:
            result[action] = exc.code
        else:
            result[action] = None
    return result


def more_actions(actor: Actor, case: Case, organization: str, case_type: str) -> list[str]:
    """The MORE_ACTION_ROLES actions the actor may take on the case now."""
    allowed = []
    for action in MORE_ACTION_ROLES:
        try:
            check_action(actor, action, case, organization, case_type)
        except CaseError:
            continue
        allowed.append(action)
    return allowed
