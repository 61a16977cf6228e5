"""Structured JSON logs carrying the correlation id of the case or request being handled."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

# The HTTP answer's slot for the correlation id of the case a request turned out to be about
# (see `adopt_correlation`); web.py opens one per request.
case_correlation_slot: ContextVar[list[str] | None] = ContextVar(
    "case_correlation_slot", default=None
)
CASE_CORRELATION_HEADER = "x-case-correlation-id"


def adopt_correlation(cid: str | None) -> None:
    """The work at hand concerns one case: log under the case's correlation id from here on.

    A case's correlation id is the one it got at intake (its submission id), carried by every
    event about it, so one id finds a case in the logs of every service. An HTTP request
    starts with an id of its own (`x-correlation-id`); once it is known to be about a case,
    the rest of its logs carry the case's id, and the answer names it in
    `x-case-correlation-id`, so the caller (the gateway) adopts it too.
    """
    if not cid:
        return
    correlation_id.set(cid)
    slot = case_correlation_slot.get()
    if slot is not None:
        slot[:] = [cid]


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, service, correlation id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "service": self.service,
            "message": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            entry["correlation_id"] = cid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route every logger to stdout, as JSON unless `fmt` is "text"."""
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
