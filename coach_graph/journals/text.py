"""Journal text as it is accepted: the text rules of SPEC.md, line breaks made uniform.

NUL and other control characters (tab and line breaks aside) are refused like in every other
text field; carriage returns become newlines. What remains must hold visible text and at most
20,000 characters.
"""

from __future__ import annotations

import re

from coach_graph.errors import BadUserInput
from coach_graph.text import JOURNAL_ENTRY, checked_text

_NEWLINES = re.compile(r"\r\n?")


def clean_entry_text(content: str) -> str:
    """The text to store for an entry, or BAD_USER_INPUT when empty, too long or holding a
    control character."""
    text = _NEWLINES.sub("\n", checked_text(content, "content", JOURNAL_ENTRY))
    if not text.strip():
        raise BadUserInput("A journal entry needs some text; this one is empty.", field="content")
    return text
