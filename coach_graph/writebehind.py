"""Write-behind: what requests note in memory, written in the background by one task.

A request only notes a key and a value (never waits, never fails, never writes); a background
task writes every pending note every `interval` seconds in its own transaction, and once more
when the app stops. A failed write keeps its notes for the next flush. A crash loses at most
the notes of one interval. Used for clients' last-active times (accounts/activity.py) and for
the audit trail's reads (auditing.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Generic, TypeVar

from coach_graph.background import Background

log = logging.getLogger("coach_graph.writebehind")

K = TypeVar("K")
V = TypeVar("V")


class WriteBehind(Generic[K, V]):
    """Pending notes by key, flushed every `interval` seconds. Subclasses say how two notes of
    one key merge (`merge`) and how a batch is written (`write`)."""

    what = "notes"  # named in the log line of a failed flush

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._pending: dict[K, V] = {}
        self._writer = Background(f"write-behind:{self.what}")

    def merge(self, known: V, new: V) -> V:
        """The value kept when a key is noted twice (default: the newer note)."""
        return new

    async def write(self, pending: dict[K, V]) -> None:
        """Write a batch of notes (in one transaction: all or nothing)."""
        raise NotImplementedError

    def written(self, pending: dict[K, V]) -> None:
        """Told after a batch was written (default: nothing)."""

    def note(self, key: K, value: V) -> None:
        """Remember `value` for `key` until the next flush (never waits, never fails)."""
        known = self._pending.get(key)
        self._pending[key] = value if known is None else self.merge(known, value)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Write every pending note; returns how many were written. On failure the notes are
        kept for the next flush (merged with newer ones) and 0 is returned."""
        pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
            await self.write(pending)
        except Exception as exc:
            log.warning("writing %d %s failed; retrying later (%r)", len(pending), self.what, exc)
            for key, value in pending.items():
                self.note(key, value)
            return 0
        self.written(pending)
        return len(pending)

    def start(self) -> None:
        """Flush every `interval` seconds until `stop()` (call inside the app's lifespan)."""
        self._writer.start(self._run())

    async def stop(self) -> None:
        """Stop the loop and write what is still pending."""
        await self._writer.stop()
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()
