"""Live events over broadcaster: channel names, JSON encoding, publish and subscribe.

Events are small JSON documents carrying ids; subscribers reload what they name through the same
scoping as queries. Every event is published after the commit of what it describes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from broadcaster import Broadcast

log = logging.getLogger("coach_graph.realtime")


class Realtime:
    """The process's connection to the broadcast backend (memory:// or redis://)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._broadcast = Broadcast(url)
        self.connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self.connected = True

    async def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            await self._broadcast.disconnect()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Send an event; call it only after the transaction that made it has committed."""
        await self._broadcast.publish(channel=channel, message=json.dumps(event))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        async with self._broadcast.subscribe(channel=channel) as subscriber:

            async def events() -> AsyncIterator[dict[str, Any]]:
                while True:
                    event = await subscriber.get()
                    if event is None:
                        return
                    yield json.loads(event.message)

            yield events()
