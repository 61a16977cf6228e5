"""Caseworkers' files: checked by content and size before anything is written."""

import base64
import binascii
import hashlib
from typing import Any

from case_service.attachments.content import Refused, detect, safe_filename
from case_service.errors import CaseError

MAX_FILES_PER_EVENT = 3  # "1 till max 3 filer" (the caseworker guide, 5.2)


def prepare_files(
    files: list[tuple[str, str]],
    max_bytes: int,
    source: str = "caseworker",
    max_files: int = MAX_FILES_PER_EVENT,
) -> list[dict[str, Any]]:
    """Attachment rows (without case and event) from (filename, base64) pairs; refuse bad ones.

    Used for caseworkers' files, the submission's attachments and the submitter's complements.
    """
    if len(files) > max_files:
        raise CaseError(422, "too_many_files", f"at most {max_files} files", limit=max_files)
    rows = []
    for raw_name, encoded in files:
        filename = safe_filename(raw_name)
        if len(encoded) > (max_bytes // 3 + 1) * 4 + 4:
            raise _too_large(filename, max_bytes)
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CaseError(
                422, "invalid_file", f"{filename}: not base64", filename=filename
            ) from exc
        if len(data) > max_bytes:
            raise _too_large(filename, max_bytes)
        detected = detect(data, filename)
        if isinstance(detected, Refused):
            status = 422 if detected.reason == "empty" else 415
            raise CaseError(
                status,
                f"file_{detected.reason}",
                f"{filename}: file refused ({detected.reason})",
                filename=filename,
            )
        rows.append(
            {
                "filename": filename,
                "content_type": detected,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": data,
                "source": source,
            }
        )
    return rows


def _too_large(filename: str, max_bytes: int) -> CaseError:
    return CaseError(
        413,
        "file_too_large",
        f"{filename}: larger than {max_bytes} bytes",
        filename=filename,
        limit_mb=max(1, max_bytes // (1024 * 1024)),
    )
