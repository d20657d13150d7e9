"""Case-insensitive text matching that behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from coach_graph.errors import BadUserInput

MAX_SEARCH = 200


def normalise_search(search: str | None) -> str | None:
    """The search text trimmed and lower-cased; None when there is nothing to search for."""
    if search is None or not search.strip():
        return None
    if len(search) > MAX_SEARCH:
        raise BadUserInput(f"A search text has at most {MAX_SEARCH} characters.")
    return search.strip().lower()


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards escaped (use with `escape="\\\\"`), so it matches literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
