"""Text as the API accepts it (SPEC.md "Errors and bad input"): one check for every field.

Each kind of text has a limit; NUL and the other control characters are refused everywhere
(tab, newline and carriage return aside), as are lone surrogates, which cannot be stored as
UTF-8. A refusal is BAD_USER_INPUT naming the field and its limit, before anything is written.
"""

from __future__ import annotations

import unicodedata
from typing import overload

from coach_graph.errors import BadUserInput

JOURNAL_ENTRY = 20_000
NOTES = 5_000  # notes and messages
REASON = 1_000  # reasons and comments
NAME = 200
SEARCH = 200

_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _is_refused(ch: str) -> bool:
    return ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs")


@overload
def checked_text(value: str, field: str, limit: int) -> str: ...
@overload
def checked_text(value: str | None, field: str, limit: int) -> str | None: ...
def checked_text(value: str | None, field: str, limit: int) -> str | None:
    """`value` unchanged when it fits `field`'s limit and holds no control character."""
    if value is None:
        return None
    if len(value) > limit:
        raise BadUserInput(
            f"`{field}` holds at most {limit:,} characters; this one has {len(value):,}.",
            field=field,
            limit=limit,
        )
    if any(_is_refused(ch) for ch in value):
        raise BadUserInput(
            f"`{field}` holds a control character (only tab and line breaks are allowed).",
            field=field,
        )
    return value
