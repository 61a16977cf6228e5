"""File downloads from the gateway: one set of headers for every file a caseworker fetches
(case attachments, Excel reports), and case-service's files streamed through."""

import re
from urllib.parse import quote, unquote

import httpx
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact name as RFC 5987 `filename*`."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", filename).strip(" .") or "bilaga"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(response: httpx.Response) -> StreamingResponse:
    """A file from case-service as a download, streamed through chunk by chunk (a 20 MB file
    never sits whole in the gateway's memory)."""
    filename = unquote(response.headers.get("x-filename", "")) or "bilaga"
    headers = download_headers(filename)
    if "content-length" in response.headers:
        headers["Content-Length"] = response.headers["content-length"]
    return StreamingResponse(
        response.aiter_raw(),
        media_type=response.headers.get("content-type", "application/octet-stream"),
        headers=headers,
        background=BackgroundTask(response.aclose),
    )


def download_headers(filename: str) -> dict[str, str]:
    """Headers of a file download: never sniffed, never cached, never run as a page."""
    return {
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
