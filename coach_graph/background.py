"""Background: the one task a long-lived part of the app runs beside the requests (the socket
watch, the realtime supervisor, the activity writer), started in the lifespan and stopped with
it. The jobs have their own runner (jobs.JobRunner)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class Background:
    """One named background task: `start` runs a coroutine, `stop` cancels it and waits until it
    has ended (a second stop, or a stop before any start, does nothing)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, run: Coroutine[Any, Any, None]) -> None:
        self._task = asyncio.create_task(run, name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
