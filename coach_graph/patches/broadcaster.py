"""broadcaster's Redis backend, made to deliver with redis-py 8 and to fail loudly.

Written for broadcaster 0.3.1 (pinned in pyproject.toml) with redis-py 8 (the guard test
tests/patches/test_broadcaster.py fails when broadcaster moves or when the attributes this
relies on change).

What upstream does (../shared/STACK_NOTES.md): with redis-py 8 its Redis backend marks itself
ready before its SUBSCRIBE completed, its listener sees no channel and stops, and nothing is
ever delivered, with no error; when the connection drops, the listener dies and every
subscriber hangs forever. What this changes: `subscribe` sets the ready event only after the
SUBSCRIBE completed; the subscribing connection never retries quietly (coach_graph/realtime.py
supervises, reconnects and lets subscribers catch up); `next_published` raises when the listener
died instead of waiting forever; publishing retries once on a pooled connection a restart killed.

Relies on: `RedisBackend.__init__(url)`, its `_conn`, `_pubsub`, `_ready`, `_listener` and
`_queue` attributes. To remove: when upstream awaits its SUBSCRIBE and reports a dead listener,
create upstream's `RedisBackend` in realtime.create_backend and delete this module and its guard.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend

# The upstream versions this module was written for (pinned in pyproject.toml).
WRITTEN_FOR = {"broadcaster": "0.3.1"}


def redis_backend(url: str) -> BroadcastBackend:
    """broadcaster's Redis backend for `url`, corrected (see the module docstring)."""
    from broadcaster._backends.redis import RedisBackend
    from redis import asyncio as redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    class _RedisBackend(RedisBackend):
        """broadcaster's Redis backend, made to deliver with redis-py 8 and to fail loudly.

        - `subscribe` sets the ready event only after SUBSCRIBE completed (redis-py 8 otherwise
          starts listening on a pubsub with no channel, returns at once and never delivers);
        - no silent retries: a dropped connection must surface so the supervisor resubscribes
          and subscribers catch up (a quiet reconnect would hide the events lost meanwhile);
        - `next_published` raises when the listener task died, instead of waiting forever.
        """

        def __init__(self, url: str) -> None:
            super().__init__(url)
            # The subscribing connection never retries quietly: a drop must be reported, not
            # papered over. (Publishing uses upstream's `_conn`, retried once in `publish`.)
            self._listen_conn = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
            self._pubsub = self._listen_conn.pubsub()

        async def subscribe(self, channel: str) -> None:
            await self._pubsub.subscribe(channel)
            self._ready.set()

        async def publish(self, channel: str, message: Any) -> None:
            try:
                await self._conn.publish(channel, message)
            except redis.ConnectionError:
                # A pooled connection that died with a server restart fails once; a fresh one
                # from the pool then works (or raises again, and the caller reports it).
                await self._conn.publish(channel, message)

        async def next_published(self) -> Event:
            listener = self._listener
            assert listener is not None, "connect() first"
            getter = asyncio.ensure_future(self._queue.get())
            try:
                await asyncio.wait({getter, listener}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not getter.done():
                    getter.cancel()
            if getter.done() and not getter.cancelled():
                return getter.result()
            if listener.cancelled():
                raise ConnectionError("the Redis listener was cancelled")
            error = listener.exception()
            raise ConnectionError(f"the Redis listener stopped: {error!r}") from error

        async def disconnect(self) -> None:
            if self._listener is not None:
                self._listener.cancel()
                with contextlib.suppress(BaseException):
                    await self._listener
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            with contextlib.suppress(Exception):
                await self._listen_conn.aclose()
            with contextlib.suppress(Exception):
                await self._conn.aclose()

    return _RedisBackend(url)
