"""The door of a process: at most so many requests served at once (`Database.admitted`), the
rest waiting, first come first served, for a bounded time.

A request about to wait for the SQLite write turn (`Database.transaction` on SQLite) gives its
seat back first, and its read scope's connection unless a read is on it: waiting, it holds
nothing another request could use, and the seats go on serving reads (WAL readers never wait
for the writer). Measured with two workers on one SQLite file, writers waiting for the file's
write lock, held by the other worker, filled 6 to 9 of a worker's 10 seats and left it idle 20
to 40 % of the time with a hundred requests at its door. Once its transaction has committed, the
writer finishes its answer without taking a seat again (never turned away after its change is
made); one writer at a time holds a process's turn, so few finish that way at once. The write
turn is its door meanwhile: it waits for it as long as a request waits at the door.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from coach_graph.errors import Unavailable


class _Seat:
    """One request's seat, held until the request ends or gives it back."""

    __slots__ = ("door", "held")

    def __init__(self, door: Door) -> None:
        self.door = door
        self.held = True


_seat: ContextVar[_Seat | None] = ContextVar("coach_graph_seat", default=None)


class Door:
    """`seats` requests at once; a request waits at most `timeout` seconds for a seat, then
    `Unavailable(retry_after)`."""

    def __init__(self, seats: int, timeout: float, retry_after: int) -> None:
        self._seats = asyncio.Semaphore(seats)
        self.timeout = timeout
        self.retry_after = retry_after

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self._seats.locked():  # a free seat is taken at once, without a timer
            try:
                async with asyncio.timeout(self.timeout):
                    await self._seats.acquire()
            except TimeoutError:
                raise Unavailable(retry_after=self.retry_after) from None
        else:
            await self._seats.acquire()
        seat = _Seat(self)
        token = _seat.set(seat)
        try:
            yield
        finally:
            _seat.reset(token)
            if seat.held:
                seat.held = False
                self._seats.release()

    def step_out(self) -> bool:
        """The current request gives its seat at this door back (if it holds one: True) and goes
        on without it; the caller has made sure it holds no connection."""
        seat = _seat.get()
        if seat is None or seat.door is not self or not seat.held:
            return False
        seat.held = False
        self._seats.release()
        return True
