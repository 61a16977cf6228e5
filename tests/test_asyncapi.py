"""The committed AsyncAPI documents match the contracts."""

import json
from pathlib import Path

import pytest

from case_service import asyncapi as case_asyncapi
from notification_service import asyncapi as notification_asyncapi
from report_service import asyncapi as report_asyncapi
from retention_service import asyncapi as retention_asyncapi

DOCS = Path(__file__).resolve().parents[1] / "docs" / "asyncapi"


@pytest.mark.parametrize(
    "spec",
    [case_asyncapi, notification_asyncapi, report_asyncapi, retention_asyncapi],
    ids=lambda s: s.SERVICE,
)
def test_committed_asyncapi_document_is_current(spec: object) -> None:
    committed = json.loads((DOCS / f"{spec.SERVICE}.json").read_text())  # type: ignore[attr-defined]
    generated = json.loads(json.dumps(spec.document(), sort_keys=True))  # type: ignore[attr-defined]
    assert committed == generated, "run `uv run python -m arende_platform.asyncapi`"
    assert committed["asyncapi"] == "3.0.0"
