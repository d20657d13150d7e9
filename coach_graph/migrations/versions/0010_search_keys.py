"""search keys: names, e-mails and titles folded for the accent-insensitive search

Revision ID: 0010_search_keys
Revises: 0009_messages_inbox
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coach_graph.search import KEY_LENGTH, search_key

revision: str = "0010_search_keys"
down_revision: str | Sequence[str] | None = "0009_messages_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (key column, the columns it is made of)
KEYS = {
    "user_account": ("search_key", ("name", "email")),
    "module": ("title_key", ("title",)),
    "lesson": ("title_key", ("title",)),
}
BATCH = 1_000


def _backfill(table: str, key: str, sources: tuple[str, ...]) -> None:
    """Every existing row's key, computed by the same function the application writes with."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column(key), *(sa.column(s) for s in sources))
    query = sa.select(rows.c.id, *(rows.c[s] for s in sources)).order_by(rows.c.id)
    values = [{"row_id": row[0], "key": search_key(*row[1:])} for row in bind.execute(query).all()]
    update = (
        sa.update(rows)
        .where(rows.c.id == sa.bindparam("row_id"))
        .values({key: sa.bindparam("key")})
    )
    for start in range(0, len(values), BATCH):
        bind.execute(update, values[start : start + BATCH])


def upgrade() -> None:
    # Added NOT NULL with a temporary empty default, then filled: on SQLite this avoids batch
    # mode, whose table copy would cascade-delete every lesson with its module. The default
    # goes again where the engine can drop it (SQLite keeps it in the DDL, never used: every
    # insert sets the key, search.key_column).
    for table, (key, sources) in KEYS.items():
        column = sa.Column(key, sa.String(length=KEY_LENGTH), nullable=False, server_default="")
        op.add_column(table, column)
        _backfill(table, key, sources)
        if op.get_bind().dialect.name != "sqlite":
            op.alter_column(table, key, server_default=None)
        op.create_index(f"ix_{table}_{key}", table, [key])


def downgrade() -> None:
    for table, (key, _) in KEYS.items():
        op.drop_index(f"ix_{table}_{key}", table_name=table)
        op.drop_column(table, key)
