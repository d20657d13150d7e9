"""What the GraphQL view learns about an HTTP request for its access log line: the operation's
name and the viewer. The access log middleware opens a note per request; the view writes to it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# GraphQL names only: an operation name is the client's text, and the log keeps it short.
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


@dataclass
class RequestNote:
    operation: str | None = None
    viewer_id: int | None = None


_note: ContextVar[RequestNote | None] = ContextVar("coach_graph_request_note", default=None)


@contextmanager
def noting(note: RequestNote) -> Iterator[RequestNote]:
    """Make `note` the current request's note for the duration."""
    reset = _note.set(note)
    try:
        yield note
    finally:
        _note.reset(reset)


def note_viewer(viewer_id: int) -> None:
    if (note := _note.get()) is not None:
        note.viewer_id = viewer_id


def note_operation(name: str | None) -> None:
    if (note := _note.get()) is not None and name and _OPERATION_NAME.fullmatch(name):
        note.operation = name
