"""The write turn of the processes sharing one SQLite file: an exclusive `flock` on a file beside
the database (`<database>-writer`), taken before `BEGIN IMMEDIATE` and given up once the
transaction has ended.

Without it, a writer whose file lock is held by another process waits in SQLite's busy handler,
which sleeps and looks again (1, 2, 5, ... then every 100 ms): the lock lies idle between one
writer's commit and the next look, and a process whose writers follow one another keeps
winning it. Measured with two workers: waits up to 1.9 s for a lock held ~80 % of the time, and
6 to 9 of a worker's 10 seats filled by writers waiting. A blocked `flock` wakes as soon as
the lock is given up. The busy timeout stays for other programs writing the file.

Each turn opens the file anew: a lock belongs to its open file description, so a turn whose
wait was given up (its thread still blocked) never releases another's. An uncontended turn is
taken without a thread (a non-blocking `flock` first). The lock file is only
ever opened and locked, never read or written. When it cannot be created (a read-only
directory), writers fall back on the busy handler alone.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from collections.abc import Callable


def _settle(locked: asyncio.Future[int], fd: int, error: BaseException | None) -> None:
    """The waiting thread's outcome, on the loop: the descriptor to its waiter, or closed when
    the wait was given up (which gives the lock back at once) or failed."""
    if locked.cancelled() or error is not None:
        os.close(fd)
        if error is not None and not locked.cancelled():
            locked.set_exception(error)
        return
    locked.set_result(fd)


class FileTurn:
    """One process's side of the turn on `path` (None: no turn across processes)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        if path is not None:
            try:
                os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            except OSError:
                self.path = None

    async def acquire(self) -> int | None:
        """Wait for the turn: the descriptor holding it (None: no turn to take). A free turn is
        taken at once; a held one is waited for in a daemon thread of its own (never one a
        shutdown waits for), which gives the lock back at once should the wait be given up."""
        if self.path is None:
            return None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        else:
            return fd
        loop = asyncio.get_running_loop()
        locked: asyncio.Future[int] = loop.create_future()

        def wait() -> None:
            error: BaseException | None = None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                error = exc
            try:
                loop.call_soon_threadsafe(_settle, locked, fd, error)
            except RuntimeError:  # the loop is closed: nobody waits any more
                os.close(fd)

        threading.Thread(target=wait, name="sqlite-write-turn", daemon=True).start()
        return await locked

    @staticmethod
    def release(held: int | None) -> None:
        """Give the turn up (closing the descriptor releases its lock)."""
        if held is not None:
            os.close(held)


class WriteTurn:
    """The turn to write on one SQLite file: first among this process's writers (an asyncio
    lock), then among the processes sharing the file (`FileTurn` on `path`, None: none)."""

    def __init__(self, path: str | None) -> None:
        self._lock = asyncio.Lock()
        self._file = FileTurn(path)

    async def take(self) -> Callable[[], None]:
        """Wait for the turn; the function returned gives it up (once; later calls do nothing)."""
        await self._lock.acquire()
        try:
            fd = await self._file.acquire()
        except BaseException:
            self._lock.release()
            raise
        taken = True

        def give_up() -> None:
            nonlocal taken
            if taken:
                taken = False
                FileTurn.release(fd)
                self._lock.release()

        return give_up


def turn_file(database: str | None) -> str | None:
    """Where the turn of the SQLite file `database` is taken: beside it (None in memory)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-writer"
