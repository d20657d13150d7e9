"""messages and the inbox of notifications

Revision ID: 0009_messages_inbox
Revises: 0008_policy_join
Create Date: 2026-11-29 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coach_graph.db import UtcDateTime

revision: str = "0009_messages_inbox"
down_revision: str | Sequence[str] | None = "0008_policy_join"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("sender_role", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["coach_client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sender_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recipient_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_conversation_id", "message", ["conversation_id"])
    op.create_index("ix_message_sender_id", "message", ["sender_id"])
    op.create_index("ix_message_recipient_id", "message", ["recipient_id"])
    op.create_index("ix_message_conversation_unread", "message", ["conversation_id", "read_at"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["recipient_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["coaching_session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_recipient_id", "notification", ["recipient_id"])
    op.create_index("ix_notification_session_id", "notification", ["session_id"])
    op.create_index("ix_notification_recipient_unread", "notification", ["recipient_id", "read_at"])


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("message")
