"""alert lifecycle: resolved_at, one unresolved alert per cause

Revision ID: 0006_alert_lifecycle
Revises: 0005_mail
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coach_graph.db

revision: str = "0006_alert_lifecycle"
down_revision: str | Sequence[str] | None = "0005_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRESOLVED = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resolved_at", coach_graph.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint("uq_alert_cause", type_="unique")
        batch_op.create_index(
            "uq_alert_open_cause",
            ["coach_id", "client_id", "category", "cause"],
            unique=True,
            sqlite_where=UNRESOLVED,
            postgresql_where=UNRESOLVED,
        )


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("uq_alert_open_cause")
        batch_op.create_unique_constraint(
            "uq_alert_cause", ["coach_id", "client_id", "category", "cause"]
        )
        batch_op.drop_column("resolved_at")
