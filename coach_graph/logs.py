"""Structured logs: one JSON object per line on stderr, each carrying the process id and the
request id of the request (or websocket connection) it was written for.

`config()` is the whole set-up as a `logging.config.dictConfig` dict: `coach-graph serve` hands it
to uvicorn, which applies it in the serving process and again in each worker it spawns for
`--workers N` (a spawned worker starts with no logging of its parent's)."""

from __future__ import annotations

import json
import logging
import logging.config
import uuid
from datetime import UTC, datetime
from typing import Any

from asgi_correlation_id import correlation_id

# Not copied onto a line: the record's own attributes, and uvicorn's terminal copy of its message
# (`color_message`, with ANSI escapes).
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


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
            "pid": record.process,
            "message": record.getMessage(),
        }
        if (current := correlation_id.get()) is not None:
            doc["request_id"] = current
        doc.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def config(level: str = "INFO") -> dict[str, Any]:
    """JSON lines on stderr from every logger, as a `logging.config.dictConfig` dict."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # Alembic narrates every migration step at INFO; on each start that drowns what
            # matters.
            "alembic": {"level": "WARNING"},
            # A replaced X-Request-ID is routine (the access line shows the id used), not a
            # warning.
            "asgi_correlation_id": {"level": "ERROR"},
        },
    }


def configure(level: str = "INFO") -> None:
    """Set this process's logging up as `config` says (its one handler replaces any other)."""
    logging.config.dictConfig(config(level))
