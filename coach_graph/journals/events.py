"""What the journals domain tells others (coach_graph/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JournalEntryWritten:
    """A client wrote a journal entry (recorded in the entry's transaction)."""

    client_id: int
    entry_id: int
