"""outbox dead letters: when a message started failing and when it was given up (FAILED)

Revision ID: 0017_outbox_dead_letter
Revises: 0015_self_booking
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coach_graph.db

revision: str = "0017_outbox_dead_letter"
down_revision: str | Sequence[str] | None = "0016_sort_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failing_since", coach_graph.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_at", coach_graph.db.UtcDateTime(timezone=True), nullable=True)
        )
        # The sender's claim skips given-up messages through the index.
        batch_op.drop_index("ix_outbox_message_unsent")
        batch_op.create_index(
            "ix_outbox_message_unsent", ["sent_at", "failed_at", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_unsent")
        batch_op.create_index(
            "ix_outbox_message_unsent", ["sent_at", "next_attempt_at"], unique=False
        )
        batch_op.drop_column("failed_at")
        batch_op.drop_column("failing_since")
