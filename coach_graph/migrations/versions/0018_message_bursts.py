"""message bursts: conversation notifications gather, their mails are spaced, senders counted

Revision ID: 0018_message_bursts
Revises: 0015_self_booking
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coach_graph.db import UtcDateTime

revision: str = "0018_message_bursts"
down_revision: str | Sequence[str] | None = "0017_outbox_dead_letter"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mailed_at", UtcDateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_notification_conversation_id_coach_client",
            "coach_client",
            ["conversation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_notification_conversation_id", ["conversation_id"])
    op.create_index(
        "ix_message_conversation_sender_sent",
        "message",
        ["conversation_id", "sender_id", "sent_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_message_conversation_sender_sent", table_name="message")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_conversation_id")
        batch_op.drop_constraint("fk_notification_conversation_id_coach_client", type_="foreignkey")
        batch_op.drop_column("mailed_at")
        batch_op.drop_column("conversation_id")
