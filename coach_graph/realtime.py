"""Live events over broadcaster: channel names, JSON encoding, publish and subscribe.

Events are small JSON documents carrying ids; subscribers reload what they name through the same
scoping as queries. Every event is published after the commit of what it describes.

broadcaster 0.3.1 alone is not dependable enough for alerts (see ../shared/STACK_NOTES.md), so
this module uses its backends but does its own fan-out and supervision:

- one backend subscription per channel per process, fanned out to bounded per-subscriber
  queues: a subscriber that falls `queue_size` events behind is cut off (its socket is closed
  with `SLOW_SUBSCRIBER_CLOSE_CODE`) instead of growing memory without limit;
- a supervisor reads the backend; when the connection drops it marks the service unready
  (`/readyz`), reconnects with backoff, resubscribes every channel and tells the subscribers
  that asked for it (`resync=True`) to catch up from the database, where every event's subject
  was committed before it was published;
- redis-py 8: the upstream Redis backend marks itself ready before its SUBSCRIBE is done and
  then delivers nothing; `_RedisBackend` awaits the subscribe first and reports a dead listener
  instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend

log = logging.getLogger("coach_graph.realtime")

# Close code for a websocket whose subscriber fell too far behind (application range 4000-4999).
SLOW_SUBSCRIBER_CLOSE_CODE = 4413
# The marker a `resync=True` subscriber receives after the backend reconnected.
RESYNC: dict[str, Any] = {"__resync__": True}

# How the current websocket connection is closed, set by the app for each connection (the
# operations of a connection run in tasks that inherit it). None outside a websocket.
CloseSocket = Callable[[int, str], Awaitable[None]]
current_socket_closer: contextvars.ContextVar[CloseSocket | None] = contextvars.ContextVar(
    "current_socket_closer", default=None
)


class SubscriberTooSlow(Exception):
    """A subscriber's queue overflowed: it missed events and must reconnect to catch up."""


def _redis_backend(url: str) -> BroadcastBackend:
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


def create_backend(url: str) -> BroadcastBackend:
    """The broadcaster backend for `url` (memory:// or redis://; postgres:// as upstream)."""
    scheme = urlparse(url).scheme
    if scheme in ("redis", "rediss"):
        return _redis_backend(url)
    if scheme == "memory":
        return MemoryBackend(url)
    if scheme in ("postgres", "postgresql"):
        from broadcaster._backends.postgres import PostgresBackend

        return PostgresBackend(url)
    raise ValueError(
        f"Unsupported BROADCAST_URL scheme {scheme!r}; use memory://, redis:// or postgres://."
    )


class _Subscriber:
    """One subscription's bounded queue."""

    __slots__ = ("closer", "overflowed", "queue", "resync")

    def __init__(self, size: int, resync: bool, closer: CloseSocket | None) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=size)
        self.resync = resync
        self.overflowed = False
        self.closer = closer

    def offer(self, event: dict[str, Any]) -> bool:
        """Queue an event without waiting; False (and cut off) when the queue is full."""
        if self.overflowed:
            return False
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            self.overflowed = True
            return False


class Realtime:
    """The process's connection to the broadcast backend (memory:// or redis://)."""

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 256,
        reconnect_delays: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
    ) -> None:
        self.url = url
        self.queue_size = queue_size
        self._delays = reconnect_delays
        self._backend: BroadcastBackend | None = None
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self._lock = asyncio.Lock()
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self.connected = False
        # How many times the backend was reconnected (observable in tests and /readyz).
        self.reconnects = 0

    @property
    def backend_name(self) -> str:
        return urlparse(self.url).scheme

    async def connect(self) -> None:
        """Connect the backend and start supervising it (call inside the app's lifespan)."""
        self._stopping = False
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="realtime-supervisor")

    async def disconnect(self) -> None:
        self._stopping = True
        self.connected = False
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        await self._close_backend()

    async def publish(self, channel: str, event: dict[str, Any]) -> bool:
        """Send an event; call it only after the transaction that made it has committed.

        Never raises: what the event names is already stored, and a subscriber that missed it
        catches up when the backend is back. Returns whether the backend took the event.
        """
        backend = self._backend
        if backend is None or not self.connected:
            log.warning("broadcast backend down; event on %s not sent", channel)
            return False
        try:
            await backend.publish(channel, json.dumps(event))
            return True
        except Exception as exc:
            log.warning("publishing on %s failed: %r", channel, exc)
            return False

    @asynccontextmanager
    async def subscribe(
        self, channel: str, *, resync: bool = False
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Receive the events of `channel` until the block ends.

        With `resync=True` the iterator also yields `RESYNC` after the backend reconnected: the
        subscriber should then reload from the database what it may have missed. A subscriber
        that falls `queue_size` events behind gets `SubscriberTooSlow`, and its websocket (if
        any) is closed with `SLOW_SUBSCRIBER_CLOSE_CODE`.
        """
        subscriber = _Subscriber(self.queue_size, resync, current_socket_closer.get())
        async with self._lock:
            first = not self._subscribers.get(channel)
            self._subscribers.setdefault(channel, set()).add(subscriber)
            if first and self._backend is not None and self.connected:
                try:
                    await self._backend.subscribe(channel)
                except Exception as exc:
                    # The supervisor resubscribes every channel when it reconnects.
                    log.warning("subscribing to %s failed: %r", channel, exc)
        try:
            yield self._events(subscriber)
        finally:
            async with self._lock:
                subscribers = self._subscribers.get(channel, set())
                subscribers.discard(subscriber)
                if not subscribers:
                    self._subscribers.pop(channel, None)
                    if self._backend is not None and self.connected:
                        with contextlib.suppress(Exception):
                            await self._backend.unsubscribe(channel)

    async def _events(self, subscriber: _Subscriber) -> AsyncIterator[dict[str, Any]]:
        while True:
            event = await subscriber.queue.get()
            if subscriber.overflowed:
                await self._cut_off(subscriber)
            yield event

    async def _cut_off(self, subscriber: _Subscriber) -> None:
        reason = f"Subscriber too slow: more than {self.queue_size} events undelivered."
        if subscriber.closer is not None:
            with contextlib.suppress(Exception):
                await subscriber.closer(SLOW_SUBSCRIBER_CLOSE_CODE, reason)
        raise SubscriberTooSlow(reason)

    def subscriber_count(self, channel: str | None = None) -> int:
        """How many subscriptions this process holds (on one channel, or all)."""
        if channel is not None:
            return len(self._subscribers.get(channel, ()))
        return sum(len(s) for s in self._subscribers.values())

    def _dispatch(self, event: Event) -> None:
        try:
            payload = json.loads(event.message)
        except (TypeError, ValueError):
            log.warning("dropped a malformed event on %s", event.channel)
            return
        for subscriber in list(self._subscribers.get(event.channel, ())):
            subscriber.offer(payload)

    def _signal_resync(self) -> None:
        for subscribers in list(self._subscribers.values()):
            for subscriber in list(subscribers):
                if subscriber.resync:
                    subscriber.offer(RESYNC)

    async def _open(self) -> None:
        async with self._lock:
            backend = create_backend(self.url)
            await backend.connect()
            for channel in list(self._subscribers):
                await backend.subscribe(channel)
            self._backend = backend
            self.connected = True

    async def _close_backend(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            with contextlib.suppress(Exception):
                await backend.disconnect()

    async def _supervise(self) -> None:
        while not self._stopping:
            backend = self._backend
            try:
                assert backend is not None
                while True:
                    self._dispatch(await backend.next_published())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return
                log.warning("broadcast backend lost (%r); reconnecting", exc)
                self.connected = False
                await self._close_backend()
                await self._reconnect()

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._stopping:
            delay = self._delays[min(attempt, len(self._delays) - 1)]
            await asyncio.sleep(delay)
            attempt += 1
            try:
                await self._open()
            except Exception as exc:
                log.info("broadcast backend still unreachable (%r)", exc)
                await self._close_backend()
                continue
            self.reconnects += 1
            log.warning("broadcast backend reconnected after %d attempt(s)", attempt)
            # Anything published while we were away is gone from the backend; the subscribers
            # that can reload from the database do so now.
            self._signal_resync()
            return
