"""Every Swedish text the gateway shows has its English translation (UI in both languages)."""

import re
from pathlib import Path

import pytest

import gateway
from gateway.i18n import ENGLISH, negotiate, translate
from gateway.web.endpoints import VIEWS

SOURCE = Path(gateway.__file__).parent


def _texts() -> set[str]:
    texts: set[str] = set()
    for template in (SOURCE / "web" / "templates").glob("*.html"):
        html = template.read_text()
        texts |= set(re.findall(r'\bt\("([^"]+)"', html))
        texts |= set(re.findall(r"\bt\('([^']+)'", html))
        # labels passed through variables, e.g. the view names of the navigation
        texts |= set(re.findall(r'\("[a-z]+", "([^"]+)"\)', html))
    for module in SOURCE.rglob("*.py"):
        code = module.read_text()
        texts |= set(re.findall(r'AppError\(\s*\d{3},\s*"([^"]+)"', code))
        texts |= set(re.findall(r'translate\(\s*"([^"]+)"', code))
        texts |= set(re.findall(r'\b(?:error|notice)\s*=\s*"([^"]+)"', code))
        texts |= set(re.findall(r'^[A-Z_]+ = "([^"]*[åäöÅÄÖ][^"]*)"$', code, re.M))
    for _, heading, introduction in VIEWS.values():
        texts |= {heading, introduction}
    return texts


def test_every_text_has_an_english_translation() -> None:
    texts = _texts()
    assert len(texts) > 30  # the scan found the UI's texts
    missing = sorted(t for t in texts if t not in ENGLISH)
    assert missing == []


def test_placeholders_are_filled_in_both_languages() -> None:
    assert translate("Visar {shown} av {total} ärenden", "sv", shown=1, total=2) == (
        "Visar 1 av 2 ärenden"
    )
    assert translate("Visar {shown} av {total} ärenden", "en", shown=1, total=2) == (
        "Showing 1 of 2 cases"
    )


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "sv"),
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "de-DE, sv;q=0.2, en;q=0.1", "sv"),
        (None, "en", "sv", "en"),
        ("sv", "en", "en", "sv"),
        ("fr", None, None, "sv"),
    ],
)
def test_language_negotiation(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert negotiate(query, cookie, accept) == expected
