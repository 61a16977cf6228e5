"""Contract tests: the JSON shape of every message is pinned in schemas/*.json.

A change that alters a pinned schema fails here. Within a version only additive changes are
allowed; after checking that a change is additive, refresh the pins with
`UPDATE_CONTRACTS=1 uv run pytest tests/contracts`.
"""

import json
import os
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from arende_contracts.events import ALL_EVENTS, CaseSubmitted, parse_event
from arende_contracts.external import (
    CitizenAction,
    PublicCaseCreated,
    PublicCaseEvent,
    PublicCaseWithdrawn,
    Submission,
)

PINS = Path(__file__).parent / "schemas"
MODELS: list[type[BaseModel]] = [
    Submission,
    CitizenAction,
    PublicCaseEvent,
    PublicCaseWithdrawn,
    PublicCaseCreated,
    *ALL_EVENTS,
]

SPEC_EXAMPLE = {
    "submission_id": "8f6c1c8e-2f0b-4c56-9d0e-3b7f5f7f2a10",
    "case_type": "flexlinjen",
    "submitted_at": "2026-11-24T10:15:00+01:00",
    "submitter": {
        "kind": "citizen",
        # The SPEC's example number fails the Luhn check, which SPEC §4 requires; a valid one:
        "personal_number": "191212121212",
        "name": "Carin Testare",
        "email": "carin@testare.se",
        "phone": "+46735366305",
    },
    "business_area": "Centrum",
    "form": [
        {
            "section": "Person- och kontaktuppgifter",
            "fields": [{"key": "fornamn", "label": "Förnamn", "value": "Carin"}],
        }
    ],
    "attachments": [
        {"filename": "intyg.pdf", "content_type": "application/pdf", "data_base64": "JVBERi0xLjQK"}
    ],
}


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_schema_is_pinned(model: type[BaseModel]) -> None:
    schema = model.model_json_schema(mode="serialization")
    pin = PINS / f"{model.__name__}.json"
    if os.environ.get("UPDATE_CONTRACTS"):
        PINS.mkdir(exist_ok=True)
        pin.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    assert pin.exists(), f"no pinned schema for {model.__name__}"
    assert json.loads(pin.read_text()) == json.loads(json.dumps(schema, sort_keys=True))


def test_spec_example_submission_parses() -> None:
    submission = Submission.model_validate(SPEC_EXAMPLE)
    assert submission.submission_id == UUID("8f6c1c8e-2f0b-4c56-9d0e-3b7f5f7f2a10")
    assert submission.form[0].fields[0].label == "Förnamn"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("191212121212", "191212121212"),
        ("19121212-1212", "191212121212"),
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),
        ("197010632391", "197010632391"),  # samordningsnummer (day + 60)
    ],
)
def test_personal_numbers_are_normalised_to_twelve_digits(number: str, expected: str) -> None:
    body = {**SPEC_EXAMPLE, "submitter": {"kind": "citizen", "personal_number": number}}
    assert Submission.model_validate(body).submitter.personal_number == expected


@pytest.mark.parametrize(
    ("submitter", "error"),
    [
        ({"kind": "citizen", "personal_number": "195601234567"}, "invalid_personal_number"),
        ({"kind": "citizen"}, "missing_personal_number"),
        ({"kind": "employee"}, "missing_account"),
        ({"kind": "robot"}, "literal_error"),
    ],
)
def test_submitter_identity_is_checked(submitter: dict[str, str], error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Submission.model_validate({**SPEC_EXAMPLE, "submitter": submitter})
    assert caught.value.errors()[0]["type"] == error
    assert "195601234567" not in str(caught.value.errors(include_input=False))


def test_envelope_round_trips_through_the_discriminated_union() -> None:
    event = CaseSubmitted(
        correlation_id="c-1",
        producer="case-service",
        data={
            "case_id": 25011,
            "submission_id": SPEC_EXAMPLE["submission_id"],
            "case_type": "flexlinjen",
            "organization": "trafikkontoret",
            "status": "submitted",
            "submitter_kind": "citizen",
            "submitted_at": "2026-11-24T10:15:00+01:00",
        },
    )
    body = json.loads(event.model_dump_json())
    assert set(body) == {
        "event_id",
        "event_type",
        "version",
        "occurred_at",
        "correlation_id",
        "producer",
        "data",
    }
    parsed = parse_event(event.model_dump_json())
    assert type(parsed) is CaseSubmitted
    assert parsed == event
    assert CaseSubmitted.routing_key == "case.submitted.v1"
