"""What a caseworker's file really is, judged by its content (magic bytes), not by its name.

Allowed: PDF, PNG/JPEG/GIF images, Word and Excel documents (the zip-based .docx/.xlsx without
macros, the older OLE .doc/.xls without macros), and plain text or CSV. Everything else —
executables, scripts, archives, unknown binary data — is refused. The stored content type is
the detected one, so a download is never served as something other than what it is.
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE, DOS
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"#!",  # scripts
    b"\x00asm",  # WebAssembly
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"

MAX_FILENAME = 200


@dataclass(frozen=True)
class Refused:
    """Why a file is not accepted (a code the gateway turns into a message)."""

    reason: str


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _office_zip(data: bytes) -> str | Refused:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return Refused("unknown_type")
    if "[Content_Types].xml" not in names:
        return Refused("unknown_type")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return Refused("macros")
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return Refused("unknown_type")


def _office_ole(data: bytes) -> str | Refused:
    # Directory entries of a compound file carry their stream names in UTF-16LE.
    if _utf16("_VBA_PROJECT") in data or _utf16("Macros") in data:
        return Refused("macros")
    if _utf16("WordDocument") in data:
        return DOC
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return XLS
    return Refused("unknown_type")


def _text(data: bytes, filename: str) -> str | Refused:
    if b"\x00" in data:
        return Refused("unknown_type")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # Excel's CSV export on Swedish Windows
        except UnicodeDecodeError:
            return Refused("unknown_type")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    if controls:
        return Refused("unknown_type")
    return "text/csv" if filename.lower().endswith(".csv") else "text/plain"


def detect(data: bytes, filename: str) -> str | Refused:
    """The content type of an allowed file, or why it is refused."""
    if not data:
        return Refused("empty")
    if data.startswith(EXECUTABLE_MAGIC):
        return Refused("executable")
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(ZIP_MAGIC):
        return _office_zip(data)
    if data.startswith(OLE_MAGIC):
        return _office_ole(data)
    return _text(data, filename)


def safe_filename(filename: str) -> str:
    """The last path component, without control characters, at most MAX_FILENAME characters."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    name = "".join(c for c in name if ord(c) >= 32 and ord(c) != 127).strip().strip(".")
    if not name:
        return "bilaga"
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            return f"{stem[: MAX_FILENAME - len(suffix) - 1]}.{suffix}"
        return name[:MAX_FILENAME]
    return name
