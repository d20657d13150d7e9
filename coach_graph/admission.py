"""The door of a process: at most so many requests served at once (`Database.admitted`), the
rest waiting, first come first served, for a bounded time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from coach_graph.errors import Unavailable


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
        try:
            yield
        finally:
            self._seats.release()
