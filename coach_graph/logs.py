"""Structured logs: one JSON object per line on stderr, each carrying the request id of the
request (or websocket connection) it was written for."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from datetime import UTC, datetime

from asgi_correlation_id import correlation_id

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def request_id() -> str:
    """The id of the current request: the one the request-id middleware set (from a sane
    incoming `X-Request-ID` or freshly made), or a new one outside any request."""
    return correlation_id.get() or new_request_id()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (current := correlation_id.get()) is not None:
            doc["request_id"] = current
        doc.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every migration step at INFO; on each start that drowns what matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # A replaced X-Request-ID is routine (the access line shows the id used), not a warning.
    logging.getLogger("asgi_correlation_id").setLevel(logging.ERROR)
