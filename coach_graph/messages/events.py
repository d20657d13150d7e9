"""What the messages domain tells others (coach_graph/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MessageSent:
    """A message sent in the conversation of a coach and a client (recorded in its transaction);
    names the people and the message by id, never its text."""

    message_id: int
    conversation_id: int
    coach_id: int
    client_id: int
    sender_id: int
    recipient_id: int
