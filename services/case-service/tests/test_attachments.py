"""Caseworkers' files: judged by content, stored with the detected type, downloaded as stored."""

import base64
import hashlib
import io
import json
import uuid
import zipfile
from typing import Any

import httpx
import pytest
import pytest_asyncio

from arende_contracts.access import Actor, Grant
from case_service.attachments.content import (
    DOC,
    DOCX,
    OLE_MAGIC,
    XLS,
    XLSX,
    Refused,
    detect,
    safe_filename,
)
from case_service.attachments.service import prepare_files
from case_service.errors import CaseError

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


def office_zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def ole(*streams: str) -> bytes:
    return OLE_MAGIC + b"\x00" * 504 + b"".join(s.encode("utf-16-le") for s in streams)


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (PDF, "beslut.pdf", "application/pdf"),
        (PNG, "bild.pdf", "image/png"),  # the content decides, not the name
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "foto.jpg", "image/jpeg"),
        (b"GIF89a" + b"\x00" * 16, "anim.gif", "image/gif"),
        (office_zip("word/document.xml"), "brev.docx", DOCX),
        (office_zip("xl/workbook.xml"), "lista.xlsx", XLSX),
        (ole("Root Entry", "WordDocument"), "gammal.doc", DOC),
        (ole("Root Entry", "Workbook"), "gammal.xls", XLS),
        ("Namn;Ort\nÅsa;Göteborg\n".encode(), "lista.csv", "text/csv"),
        ("Hej på dig\r\n".encode("cp1252"), "notering.txt", "text/plain"),
    ],
)
def test_allowed_files_are_recognised_by_their_content(
    data: bytes, filename: str, expected: str
) -> None:
    assert detect(data, filename) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (EXE, "executable"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 9, "executable"),
        (b"#!/bin/sh\nrm -rf /\n", "executable"),
        (office_zip("word/document.xml", "word/vbaProject.bin"), "macros"),
        (ole("WordDocument", "Macros", "_VBA_PROJECT"), "macros"),
        (office_zip("something/else.xml"), "unknown_type"),
        (b"PK\x03\x04 not really a zip", "unknown_type"),
        (bytes(range(256)), "unknown_type"),
    ],
)
def test_other_files_are_refused(data: bytes, reason: str) -> None:
    assert detect(data, "fil.pdf") == Refused(reason)


def test_filenames_lose_paths_and_control_characters() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\beslut.pdf") == "beslut.pdf"
    assert safe_filename("rad\nbrytning.pdf") == "radbrytning.pdf"
    assert safe_filename("..") == "bilaga"
    long = safe_filename("a" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_size_and_count_limits() -> None:
    encoded = base64.b64encode(PDF).decode()
    with pytest.raises(CaseError) as too_large:
        prepare_files([("stor.pdf", encoded)], max_bytes=10)
    assert (too_large.value.status_code, too_large.value.code) == (413, "file_too_large")
    with pytest.raises(CaseError) as too_many:
        prepare_files([("a.pdf", encoded)] * 4, max_bytes=1000)
    assert (too_many.value.status_code, too_many.value.code) == (422, "too_many_files")


in_session_loop = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def handler(case_client: httpx.AsyncClient) -> tuple[Actor, str]:
    token = uuid.uuid4().hex[:8]
    org = f"bilagor-{token}"
    await case_client.post("/internal/organizations", json={"code": org, "name": "Bilagor"})
    code = f"bilagor-{token}"
    response = await case_client.post(
        "/internal/case-types", json={"code": code, "name": "Bilagor", "organization": org}
    )
    assert response.status_code == 201, response.text
    actor = Actor(username=f"h-{token}", name="H", grants=[Grant(organization=org, role="handler")])
    return actor, code


def headers(actor: Actor) -> dict[str, str]:
    return {
        "x-internal-token": "test-internal-token",
        "x-actor": json.dumps(actor.model_dump(mode="json")),
    }


def upload(name: str, data: bytes) -> dict[str, str]:
    return {"filename": name, "data_base64": base64.b64encode(data).decode()}


@in_session_loop
async def test_files_are_stored_with_the_event_and_downloaded_as_stored(
    case_client: httpx.AsyncClient, handler: tuple[Actor, str], new_case: Any
) -> None:
    actor, case_type = handler
    case_id = await new_case(case_type)
    path = f"/internal/cases/{case_id}"
    exe = await case_client.post(
        f"{path}/update",
        json={"title": "Program", "files": [upload("faktura.pdf", EXE)]},
        headers=headers(actor),
    )
    assert exe.status_code == 415
    assert exe.headers["x-error-code"] == "file_executable"
    assert json.loads(exe.headers["x-error-values"]) == {"filename": "faktura.pdf"}
    four = await case_client.post(
        f"{path}/update",
        json={"title": "Fyra", "files": [upload(f"{i}.pdf", PDF) for i in range(4)]},
        headers=headers(actor),
    )
    assert (four.status_code, four.headers["x-error-code"]) == (422, "too_many_files")
    unchanged = (await case_client.get(path, headers=headers(actor))).json()
    assert len(unchanged["events"]) == 1 and unchanged["status"] == "submitted"

    response = await case_client.post(
        f"{path}/update",
        json={
            "title": "Beslut bifogat",
            "internal_message": "Underlag",
            "files": [upload("beslut.pdf", PDF), upload("karta.pdf", PNG)],
        },
        headers=headers(actor),
    )
    assert response.status_code == 200, response.text
    case = response.json()
    event = case["events"][0]
    assert event["internal"] is True  # files go with the internal note when that is all
    files = [a for a in case["attachments"] if a["event_id"] == event["id"]]
    assert [a["id"] for a in files] == event["attachments"]
    assert [(a["filename"], a["content_type"], a["source"]) for a in files] == [
        ("beslut.pdf", "application/pdf", "caseworker"),
        ("karta.pdf", "image/png", "caseworker"),
    ]
    assert files[0]["sha256"] == hashlib.sha256(PDF).hexdigest()

    download = await case_client.get(f"{path}/attachments/{files[1]['id']}", headers=headers(actor))
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-filename"] == "karta.pdf"
    missing = await case_client.get(f"{path}/attachments/999999999", headers=headers(actor))
    assert (missing.status_code, missing.headers["x-error-code"]) == (404, "attachment_not_found")
