"""Journal text as it is accepted: control characters stripped, limits checked.

Control characters other than newline and tab are *stripped* rather than refused: they come
from pasting and are invisible to the writer, who could not fix what they cannot see. Carriage
returns become newlines. What remains must hold visible text and at most 20,000 characters.
"""

from __future__ import annotations

import re
import unicodedata

from coach_graph.errors import BadUserInput

MAX_ENTRY_CHARS = 20_000

_NEWLINES = re.compile(r"\r\n?")


def _is_stripped(ch: str) -> bool:
    if ch in "\n\t":
        return False
    # Cc: C0/C1 controls and DEL. Cs: lone surrogates, which cannot be stored as UTF-8.
    return unicodedata.category(ch) in ("Cc", "Cs")


def clean_entry_text(content: str) -> str:
    """The text to store for an entry, or BAD_USER_INPUT when nothing (or too much) is left."""
    text = "".join(ch for ch in _NEWLINES.sub("\n", content) if not _is_stripped(ch))
    if not text.strip():
        raise BadUserInput("A journal entry needs some text; this one is empty.")
    if len(text) > MAX_ENTRY_CHARS:
        raise BadUserInput(
            f"A journal entry holds at most {MAX_ENTRY_CHARS:,} characters; "
            f"this one has {len(text):,}."
        )
    return text
