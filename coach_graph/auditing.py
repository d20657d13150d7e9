"""Recording reads of a client's private data for their audit trail (SPEC "Integrations").

Cross-cutting and low in the house: the domains that serve private data (journals, surveys,
sessions and their exports) name what was read with an `AuditAction` and note it through the
request's context (`Context.audit_read`) or the app's `Resources.audit`, never importing the
audit domain above them. The recorder keeps reads in memory, coalesced to one per (reader,
client, action) and UTC hour, and a background task writes them (`writebehind.WriteBehind`):
a read never waits for the trail nor fails because of it; a crash loses at most one flush
interval. What writes a batch (`coach_graph.audit.store.write_reads`) is handed in by the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from coach_graph import clock
from coach_graph.writebehind import WriteBehind


class AuditAction(StrEnum):
    """What an audit event says happened to a client's data."""

    READ_JOURNAL = "READ_JOURNAL"  # journal entries, their analysis, summaries
    READ_EMOTIONS = "READ_EMOTIONS"  # emotion scores over time
    READ_SURVEYS = "READ_SURVEYS"  # survey submissions
    READ_PRIVATE_NOTES = "READ_PRIVATE_NOTES"  # a session's private notes
    EXPORT = "EXPORT"  # a session history export (CSV or PDF)
    CONSENT_CHANGED = "CONSENT_CHANGED"  # the client changed a coach's consent


@dataclass(frozen=True, slots=True)
class AuditedRead:
    """One coalesced read: who read whose data, what, in which UTC hour."""

    reader_id: int
    client_id: int
    action: AuditAction
    hour: datetime


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment` (the coalescing window)."""
    return clock.as_utc(moment).replace(minute=0, second=0, microsecond=0)


# Writes a batch: each read with the time it was first noted in its hour.
ReadWriter = Callable[[dict[AuditedRead, datetime]], Awaitable[None]]


class AuditRecorder(WriteBehind[AuditedRead, datetime]):
    """Notes reads of clients' private data and writes them every `interval` seconds. A read
    already written for its (reader, client, action) this hour is not noted again (another
    worker's copy is dropped by the table's unique key). `enabled=False` (AUDIT_TRAIL=false)
    notes nothing: benchmarks compare the trail on and off."""

    what = "audited reads"

    def __init__(self, write: ReadWriter, interval: float = 5.0, *, enabled: bool = True) -> None:
        super().__init__(interval)
        self._write = write
        self.enabled = enabled
        self._written: dict[tuple[int, int, AuditAction], datetime] = {}

    def read(self, reader_id: int, client_id: int, action: AuditAction) -> None:
        """Note that `reader_id` read `client_id`'s private data of kind `action` now. A client
        reading their own data is not recorded (the trail tells a client who else read it)."""
        if not self.enabled or reader_id == client_id:
            return
        at = clock.now()
        hour = hour_of(at)
        if self._written.get((reader_id, client_id, action)) == hour:
            return
        self.note(AuditedRead(reader_id, client_id, action, hour), at)

    def merge(self, known: datetime, new: datetime) -> datetime:
        return min(known, new)  # the event's time is the hour's first read

    async def write(self, pending: dict[AuditedRead, datetime]) -> None:
        await self._write(pending)

    def written(self, pending: dict[AuditedRead, datetime]) -> None:
        current = hour_of(clock.now())
        self._written = {k: h for k, h in self._written.items() if h >= current}
        for read in pending:
            if read.hour >= current:
                self._written[(read.reader_id, read.client_id, read.action)] = read.hour
