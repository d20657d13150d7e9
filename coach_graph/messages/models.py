from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import enum_column, foreign_key, utc_column


class Message(SQLModel, table=True):
    """One message of a conversation. A conversation is the link between a coach and a client
    (its id is the `coach_client` row's id): one per pair, whatever the consent. `read_at` is
    when the recipient (the other side) read it."""

    __tablename__ = "message"
    __table_args__ = (
        sa.Index("ix_message_conversation_unread", "conversation_id", "read_at"),
        # A sender's latest messages in a conversation: the burst limit counts them.
        sa.Index("ix_message_conversation_sender_sent", "conversation_id", "sender_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = foreign_key("coach_client.id")
    sender_id: int = foreign_key("user_account.id")
    recipient_id: int = foreign_key("user_account.id")
    sender_role: str = enum_column(length=16)
    body: str = Field(sa_type=sa.Text)
    sent_at: datetime = utc_column(now=True)
    read_at: datetime | None = utc_column(nullable=True)
