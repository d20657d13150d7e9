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
  then delivers nothing; coach_graph/patches/broadcaster.py awaits the subscribe first and
  reports a dead listener instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, NoReturn
from urllib.parse import urlparse

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend

from coach_graph.background import Background
from coach_graph.patches.broadcaster import redis_backend

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


# Whose events a subscription wants: (field, value), e.g. ("coachId", 7) receives only the
# events whose "coachId" is 7. Events are routed by it, so an event wakes its owner's
# subscribers only, however many others are connected.
Owner = tuple[str, Any]


class SubscriberTooSlow(Exception):
    """A subscriber's queue overflowed: it missed events and must reconnect to catch up."""


def create_backend(url: str) -> BroadcastBackend:
    """The broadcaster backend for `url` (memory:// or redis://; postgres:// as upstream)."""
    scheme = urlparse(url).scheme
    if scheme in ("redis", "rediss"):
        return redis_backend(url)
    if scheme == "memory":
        return MemoryBackend(url)
    if scheme in ("postgres", "postgresql"):
        from broadcaster._backends.postgres import PostgresBackend

        return PostgresBackend(url)
    raise ValueError(
        f"Unsupported BROADCAST_URL scheme {scheme!r}; use memory://, redis:// or postgres://."
    )


def shares_across_processes(url: str) -> bool:
    """Whether the backend for `url` carries events between processes (memory:// does not)."""
    return urlparse(url).scheme != "memory"


class Subscription:
    """One subscription to a channel: an async context manager (joining and leaving the channel)
    and an async iterator of its events, with a bounded backlog.

    Many thousands of these are alive at once, each mostly idle, so it is kept small: no
    `asyncio.Queue` (four deques and an Event each), a backlog that exists only while events
    wait, and a future only while the subscriber waits.
    """

    __slots__ = (
        "_backlog",
        "_realtime",
        "_waiter",
        "channel",
        "closer",
        "gate",
        "overflowed",
        "owner",
        "resync",
    )

    def __init__(
        self,
        realtime: Realtime,
        channel: str,
        resync: bool,
        closer: CloseSocket | None,
        owner: Owner | None,
    ) -> None:
        self._realtime = realtime
        self.channel = channel
        self.resync = resync
        self.closer = closer
        self.owner = owner
        self.overflowed = False
        self._backlog: deque[dict[str, Any]] | None = None
        self._waiter: asyncio.Future[None] | None = None
        # Called with an event as it reaches the idle subscriber: a future the subscriber will
        # wait for anyway (a read it will need), to wake it only once that is done; or None.
        self.gate: Callable[[dict[str, Any]], asyncio.Future[Any] | None] | None = None

    def offer(self, event: dict[str, Any]) -> bool:
        """Queue an event without waiting; False (and cut off) when the backlog is full."""
        if self.overflowed:
            return False
        backlog = self._backlog
        if backlog is None:
            backlog = self._backlog = deque()
        if len(backlog) >= self._realtime.queue_size:
            self.overflowed = True
            return False
        backlog.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            gate = self.gate
            held = gate(event) if gate is not None else None
            if held is None or held.done():
                waiter.set_result(None)
            else:
                held.add_done_callback(partial(_release, waiter))
        return True

    async def __aenter__(self) -> Subscription:
        await self._realtime._join(self)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._realtime._leave(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._backlog:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        if self.overflowed:
            await self._realtime._cut_off(self)
        backlog = self._backlog
        assert backlog is not None
        event = backlog.popleft()
        if not backlog:
            self._backlog = None
        return event


def _release(waiter: asyncio.Future[None], held: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_result(None)


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
        self._subscribers: dict[str, set[Subscription]] = {}
        # channel -> owner field (None: no owner) -> owner value -> its subscribers.
        self._routes: dict[str, dict[str | None, dict[Any, set[Subscription]]]] = {}
        self._lock = asyncio.Lock()
        self._supervisor = Background("realtime-supervisor")
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
        self._supervisor.start(self._supervise())

    async def disconnect(self) -> None:
        self._stopping = True
        self.connected = False
        await self._supervisor.stop()
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

    def subscribe(
        self, channel: str, *, resync: bool = False, owner: Owner | None = None
    ) -> Subscription:
        """Receive the events of `channel`: `async with realtime.subscribe(c) as events:` then
        `async for event in events`, until the block ends.

        With `owner=(field, value)` only the events whose `field` is `value` arrive (the others
        never wake this subscriber). With `resync=True` the iterator also yields `RESYNC` after
        the backend reconnected: the subscriber should then reload from the database what it
        may have missed. A subscriber that falls `queue_size` events behind gets
        `SubscriberTooSlow`, and its websocket (if any) is closed with
        `SLOW_SUBSCRIBER_CLOSE_CODE`.
        """
        return Subscription(self, channel, resync, current_socket_closer.get(), owner)

    async def _join(self, subscription: Subscription) -> None:
        channel = subscription.channel
        async with self._lock:
            first = not self._subscribers.get(channel)
            self._subscribers.setdefault(channel, set()).add(subscription)
            self._route(subscription).add(subscription)
            if first and self._backend is not None and self.connected:
                try:
                    await self._backend.subscribe(channel)
                except Exception as exc:
                    # The supervisor resubscribes every channel when it reconnects.
                    log.warning("subscribing to %s failed: %r", channel, exc)

    async def _leave(self, subscription: Subscription) -> None:
        channel = subscription.channel
        async with self._lock:
            subscribers = self._subscribers.get(channel, set())
            subscribers.discard(subscription)
            self._unroute(subscription)
            if not subscribers:
                self._subscribers.pop(channel, None)
                if self._backend is not None and self.connected:
                    with contextlib.suppress(Exception):
                        await self._backend.unsubscribe(channel)

    async def _cut_off(self, subscriber: Subscription) -> NoReturn:
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

    def _route(self, subscription: Subscription) -> set[Subscription]:
        """The set of `subscription`'s route: its owner's, or the channel's everyone."""
        routes = self._routes.setdefault(subscription.channel, {})
        if subscription.owner is None:
            return routes.setdefault(None, {}).setdefault(None, set())
        field, value = subscription.owner
        return routes.setdefault(field, {}).setdefault(value, set())

    def _unroute(self, subscription: Subscription) -> None:
        routes = self._routes.get(subscription.channel, {})
        field, value = subscription.owner or (None, None)
        owners = routes.get(field, {})
        route = owners.get(value)
        if route is not None:
            route.discard(subscription)
            if not route:
                del owners[value]
                if not owners:
                    del routes[field]
                    if not routes:
                        self._routes.pop(subscription.channel, None)

    def _dispatch(self, event: Event) -> None:
        """Hand an event to the subscribers it is for: those without an owner, and those whose
        owner field has the event's value (one dictionary look-up per owner field)."""
        routes = self._routes.get(event.channel)
        if not routes:
            return
        try:
            payload = json.loads(event.message)
        except (TypeError, ValueError):
            log.warning("dropped a malformed event on %s", event.channel)
            return
        if not isinstance(payload, dict):
            log.warning("dropped a malformed event on %s", event.channel)
            return
        for field, owners in list(routes.items()):
            key = None if field is None else payload.get(field)
            try:
                route = owners.get(key)
            except TypeError:  # an unhashable owner value: nobody's
                continue
            for subscriber in list(route or ()):
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
