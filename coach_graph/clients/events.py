"""What the clients domain tells others (coach_graph/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentChanged:
    """A client changed their consent for one coach (recorded only when the status changed)."""

    coach_id: int
    client_id: int
    previous: str
    consent: str

    @property
    def withdrawn(self) -> bool:
        """The coach no longer sees the client's data."""
        return self.consent != "GRANTED"


@dataclass(frozen=True)
class ClientRemoved:
    """A coach removed a client from their practice (the link goes in the same transaction)."""

    coach_id: int
    client_id: int
