"""Case-insensitive text matching that behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from coach_graph import text


def normalise_search(search: str | None) -> str | None:
    """The search text trimmed and lower-cased; None when there is nothing to search for.
    Over 200 characters or holding a control character: BAD_USER_INPUT naming `search`."""
    text.checked_text(search, "search", text.SEARCH)
    if search is None or not search.strip():
        return None
    return search.strip().lower()


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards escaped (use with `escape="\\\\"`), so it matches literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
