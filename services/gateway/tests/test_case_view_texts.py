"""Every text the case view, its dialogs and its refusals show has an English translation."""

from gateway import case_actions
from gateway.case_errors import MESSAGES, NOT_ALLOWED
from gateway.i18n import ENGLISH
from gateway.web import case_view


def test_every_text_of_the_case_view_and_its_refusals_has_an_english_translation() -> None:
    texts = set(MESSAGES.values()) | set(case_view.TABS.values())
    texts |= {text for _, label, heading in case_view.DIALOGS.values() for text in (label, heading)}
    texts |= {text for pair in case_view.CONFIRMATIONS.values() for text in pair}
    texts |= set(case_view.FIELD_LABELS.values())
    texts |= {case_view.TITLE_REQUIRED, case_view.CHECK_FIELD, NOT_ALLOWED, "och"}
    service = case_actions.service
    texts |= {
        service.TARGET_REQUIRED,
        service.UNKNOWN_HANDLER,
        service.UNKNOWN_GROUP,
        service.TOO_MANY_FILES,
        service.FILE_TOO_LARGE,
        service.OTHER_USER_INCOMPLETE,
    }
    assert sorted(t for t in texts if t not in ENGLISH) == []
