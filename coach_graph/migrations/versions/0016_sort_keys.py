"""sort keys: people and surveys sorted by a stored folded key; stored keys (the cursor key)

Revision ID: 0016_sort_keys
Revises: 0015_self_booking
Create Date: 2026-12-03 10:00:00.000000
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import coach_graph.db
from coach_graph.search import KEY_LENGTH, sort_key

revision: str = "0016_sort_keys"
down_revision: str | Sequence[str] | None = "0015_self_booking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns its sort key is made of (the first that is not empty)
KEYS = {
    "user_account": ("name", "email"),
    "survey": ("name",),
}
BATCH = 1_000


def _sort_key_type() -> sa.types.TypeEngine[str]:
    # Code-point order on both engines (search.SORT_KEY_TYPE): PostgreSQL compares by "C".
    return sa.String(KEY_LENGTH).with_variant(sa.String(KEY_LENGTH, collation="C"), "postgresql")


def _backfill(table: str, sources: tuple[str, ...]) -> None:
    """Every existing row's key, computed by the same function the application writes with."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column("sort_key"), *(sa.column(s) for s in sources))
    query = sa.select(rows.c.id, *(rows.c[s] for s in sources)).order_by(rows.c.id)
    values = [{"row_id": row[0], "key": sort_key(*row[1:])} for row in bind.execute(query).all()]
    update = (
        sa.update(rows)
        .where(rows.c.id == sa.bindparam("row_id"))
        .values(sort_key=sa.bindparam("key"))
    )
    for start in range(0, len(values), BATCH):
        bind.execute(update, values[start : start + BATCH])


def upgrade() -> None:
    # As in 0010: NOT NULL with a temporary empty default, then filled, without batch mode (its
    # table copy on SQLite would cascade-delete the rows that refer to these).
    for table, sources in KEYS.items():
        column = sa.Column("sort_key", _sort_key_type(), nullable=False, server_default="")
        op.add_column(table, column)
        _backfill(table, sources)
        if op.get_bind().dialect.name != "sqlite":
            op.alter_column(table, "sort_key", server_default=None)
        op.create_index(f"ix_{table}_sort_key", table, ["sort_key"])
    stored_key = op.create_table(
        "stored_key",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", coach_graph.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # The cursor key is made here, while the database is being written anyway: a worker that
    # starts on a database it may only read (a read-only replica, a file mounted read-only)
    # still finds it.
    op.bulk_insert(
        stored_key,
        [{"name": "cursor", "value": secrets.token_urlsafe(32), "created_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    op.drop_table("stored_key")
    for table in KEYS:
        op.drop_index(f"ix_{table}_sort_key", table_name=table)
        op.drop_column(table, "sort_key")
