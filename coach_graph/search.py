"""Case- and accent-insensitive search and sorting that behave the same on SQLite and PostgreSQL.

Searchable text is stored twice: as written, and as a normalised search key (NFKD, combining
marks stripped, casefolded) kept in its own indexed column. The key is computed in Python on
every write (`key_column` for inserts, Core or ORM; a `before_update` hook for ORM updates), and
a search normalises its text the same way and matches the key with LIKE, so "zoe" finds Zoë and
"JOSE" finds José without any per-row filtering in Python.

Text that a list sorts by gets a sort key the same way (`sort_key_column`): folded, stored,
indexed, and compared in code-point order on both engines (SQLite's BINARY; on PostgreSQL the
column's collation is "C"), which is also how Python compares the key a cursor holds.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from coach_graph import text
from coach_graph.errors import BadUserInput

KEY_LENGTH = 600  # name 200 + e-mail 320, with room for what casefolding expands
_SEPARATOR = "\x1f"  # between the parts of one key: a search can never hold it (text.py)
_SOURCES = "derived_from"  # Column.info entry: how a key is made, and of which columns


def _strip_marks(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(value: str) -> str:
    """`value` without accents and case: NFKD, combining marks dropped, casefolded (twice over,
    since casefolding can produce new decomposable characters)."""
    return _strip_marks(_strip_marks(value).casefold())


def search_key(*parts: str | None) -> str:
    """The stored key of a row made of `parts` (None parts are left out), at most KEY_LENGTH
    characters: folding can multiply a character (U+FDFA becomes 18), so a part that grew past
    its room is cut, the longest first, and the others stay whole and searchable."""
    folded = [fold(p) for p in parts if p]
    room = KEY_LENGTH - len(_SEPARATOR) * max(len(folded) - 1, 0)
    while sum(map(len, folded)) > room:
        longest = max(range(len(folded)), key=lambda i: len(folded[i]))
        others = sum(map(len, folded)) - len(folded[longest])
        folded[longest] = folded[longest][: max(room - others, 0)]
    return _SEPARATOR.join(folded)


def sort_key(*candidates: str | None) -> str:
    """The stored sort key of a row: the first of `candidates` that is not empty (a name, else
    the e-mail), folded, cut to KEY_LENGTH characters (folding can multiply a character)."""
    return fold(next((c for c in candidates if c), ""))[:KEY_LENGTH]


# Code-point order on both engines: SQLite compares text with BINARY, PostgreSQL by the
# database's locale unless told "C".
SORT_KEY_TYPE = sa.String(KEY_LENGTH).with_variant(
    sa.String(KEY_LENGTH, collation="C"), "postgresql"
)


def normalise_search(search: str | None) -> str | None:
    """The search text trimmed and folded like the stored keys; None when there is nothing to
    search for. Over 200 characters or holding a control character: BAD_USER_INPUT naming
    `search`; only accents or combining marks (nothing left once they are stripped): also
    BAD_USER_INPUT, since such a search could only match everything or nothing."""
    text.checked_text(search, "search", text.SEARCH)
    if search is None or not search.strip():
        return None
    folded = fold(search.strip()).strip()
    if not folded:
        raise BadUserInput(
            "`search` holds only accents or combining marks; type at least one letter or digit.",
            field="search",
        )
    return folded


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards escaped (use with `escape="\\\\"`), so it matches literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(key: Any, folded: str) -> sa.ColumnElement[bool]:
    """`key` (a search key column) holds the normalised search text `folded` as a substring."""
    like: sa.ColumnElement[bool] = key.like(substring_pattern(folded), escape="\\")
    return like


def substring_pattern(folded: str) -> str:
    """The LIKE pattern (escape character `\\`) matching `folded` anywhere in a key: the value
    of a prepared statement's `key.like(bindparam, escape="\\")`."""
    return f"%{escape_like(folded)}%"


def _derived_column(make: Callable[..., str], sources: tuple[str, ...], type_: Any) -> Any:
    """A column computed by `make` from the `sources` columns of the same row, set on every
    insert (Core or ORM) from the inserted values and on every ORM update; indexed."""

    def on_insert(context: Any) -> str:
        values = context.get_current_parameters()
        return make(*(values.get(source) for source in sources))

    return Field(
        default=None,
        sa_type=type_,
        nullable=False,
        index=True,
        sa_column_kwargs={"default": on_insert, "info": {_SOURCES: (make, sources)}},
    )


def key_column(*sources: str) -> Any:
    """A search key column made of the `sources` columns of the same row (`search_key`)."""
    return _derived_column(search_key, sources, sa.String(KEY_LENGTH))


def sort_key_column(*sources: str) -> Any:
    """A sort key column: the first non-empty of the `sources` columns, folded (`sort_key`)."""
    return _derived_column(sort_key, sources, SORT_KEY_TYPE)


@sa.event.listens_for(SQLModel, "before_update", propagate=True)
def _refresh_keys(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    """An ORM update recomputes every search and sort key of the row from its current values."""
    for column in mapper.columns:
        derived = column.info.get(_SOURCES)
        if derived:
            make, sources = derived
            setattr(target, column.key, make(*(getattr(target, s) for s in sources)))
