"""The realtime layer: fan-out, per-subscriber bounds, and supervision of a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis
from starlette.applications import Starlette

from coach_graph.config import Settings
from coach_graph.realtime import (
    RESYNC,
    SLOW_SUBSCRIBER_CLOSE_CODE,
    Realtime,
    SubscriberTooSlow,
    current_socket_closer,
)
from tests.redis_server import RedisServer
from tests.ws import until


async def _connected(url: str, **kw: Any) -> Realtime:
    realtime = Realtime(url, **kw)
    await realtime.connect()
    return realtime


async def _next(events: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    async with asyncio.timeout(5):
        return await anext(events)


async def test_every_subscriber_of_a_channel_receives_its_events() -> None:
    realtime = await _connected("memory://")
    try:
        async with (
            realtime.subscribe("a") as first,
            realtime.subscribe("a") as second,
            realtime.subscribe("b") as other,
        ):
            assert realtime.subscriber_count("a") == 2
            assert await realtime.publish("a", {"n": 1}) is True
            assert await _next(first) == {"n": 1}
            assert await _next(second) == {"n": 1}
            await realtime.publish("b", {"n": 2})
            assert await _next(other) == {"n": 2}
        assert realtime.subscriber_count() == 0
    finally:
        await realtime.disconnect()


async def test_an_event_reaches_only_its_owners_subscriptions_and_those_without_an_owner() -> None:
    realtime = await _connected("memory://", queue_size=2)
    try:
        async with (
            realtime.subscribe("a", owner=("coachId", 7)) as seven,
            realtime.subscribe("a", owner=("coachId", 7)) as also_seven,
            realtime.subscribe("a", owner=("coachId", 8)) as eight,
            realtime.subscribe("a") as everyone,
        ):
            # Many events for others never queue up for 8 (its queue holds 2): no cut-off.
            for _ in range(5):
                await realtime.publish("a", {"coachId": 7, "n": 1})
                assert await _next(seven) == await _next(also_seven) == {"coachId": 7, "n": 1}
                assert await _next(everyone) == {"coachId": 7, "n": 1}
            await realtime.publish("a", {"n": 2})  # no owner named: only the ownerless
            assert await _next(everyone) == {"n": 2}
            await realtime.publish("a", {"coachId": 8, "n": 3})
            assert await _next(eight) == {"coachId": 8, "n": 3}
            assert await _next(everyone) == {"coachId": 8, "n": 3}
            assert realtime.subscriber_count("a") == 4
        assert realtime.subscriber_count() == 0 and realtime._routes == {}
    finally:
        await realtime.disconnect()


async def test_a_gated_subscriber_wakes_once_what_its_gate_returned_is_done() -> None:
    """`Subscription.gate` is told of each event reaching an idle subscriber; the subscriber
    wakes at once when it returns None or a done future, else once that future is done."""
    realtime = await _connected("memory://")
    loop = asyncio.get_running_loop()
    try:
        async with realtime.subscribe("a") as gated, realtime.subscribe("a") as plain:
            read: asyncio.Future[None] = loop.create_future()
            told: list[dict[str, Any]] = []

            def gate(event: dict[str, Any]) -> asyncio.Future[None] | None:
                told.append(event)
                return read if event["n"] == 1 else None

            gated.gate = gate
            waiting = asyncio.ensure_future(anext(gated))
            await asyncio.sleep(0)  # idle: waiting for an event
            await realtime.publish("a", {"n": 1})
            assert await _next(plain) == {"n": 1}
            await asyncio.sleep(0.05)
            assert told == [{"n": 1}] and not waiting.done()
            read.set_result(None)
            assert await asyncio.wait_for(waiting, 5) == {"n": 1}
            # None from the gate: woken at once.
            await realtime.publish("a", {"n": 2})
            assert await _next(gated) == {"n": 2}
            assert told == [{"n": 1}, {"n": 2}]
    finally:
        await realtime.disconnect()


async def test_a_slow_subscriber_is_cut_off_and_its_socket_closed_while_others_go_on() -> None:
    realtime = await _connected("memory://", queue_size=3)
    closed: list[tuple[int, str]] = []

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    try:
        token = current_socket_closer.set(close)
        try:
            slow_cm = realtime.subscribe("a")
            slow = await slow_cm.__aenter__()
        finally:
            current_socket_closer.reset(token)
        async with realtime.subscribe("a") as fast:
            for n in range(5):
                await realtime.publish("a", {"n": n})
                assert await _next(fast) == {"n": n}
            with pytest.raises(SubscriberTooSlow):
                await _next(slow)
        await slow_cm.__aexit__(None, None, None)
        assert closed == [
            (SLOW_SUBSCRIBER_CLOSE_CODE, "Subscriber too slow: more than 3 events undelivered.")
        ]
        assert realtime.subscriber_count() == 0
    finally:
        await realtime.disconnect()


async def test_redis_delivers_with_the_redis_py_we_ship(redis_server: RedisServer) -> None:
    assert redis.__version__.startswith("8."), redis.__version__  # the upstream-broken major
    realtime = await _connected(redis_server.url)
    try:
        async with realtime.subscribe("a") as events:
            await realtime.publish("a", {"n": 1})
            assert await _next(events) == {"n": 1}
    finally:
        await realtime.disconnect()


async def test_a_redis_restart_is_noticed_reconnected_and_resynced(
    redis_server: RedisServer,
) -> None:
    realtime = await _connected(redis_server.url)
    other = await _connected(redis_server.url)  # another worker, publishing
    try:
        async with realtime.subscribe("a", resync=True) as events:
            await other.publish("a", {"n": 1})
            assert await _next(events) == {"n": 1}
            redis_server.stop()
            await until(lambda: not realtime.connected)
            assert await realtime.publish("a", {"n": 2}) is False  # stored work catches up later
            redis_server.start()
            assert await _next(events) == RESYNC
            assert realtime.connected and realtime.reconnects == 1
            await until(lambda: other.connected)
            await other.publish("a", {"n": 3})
            assert await _next(events) == {"n": 3}
    finally:
        await realtime.disconnect()
        await other.disconnect()


async def test_readyz_reports_the_broadcast_backend(
    redis_server: RedisServer, settings: Settings
) -> None:
    from coach_graph.app import create_app

    app: Starlette = create_app(settings.with_(broadcast_url=redis_server.url), jobs=[])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["broadcast"]["backend"] == "redis"
        # A subscription keeps the pub/sub connection open, so the outage is seen at once.
        async with app.state.resources.realtime.subscribe("a"):
            redis_server.stop()
            await until(lambda: not app.state.resources.realtime.connected)
            down = await http.get("/readyz")
            assert down.status_code == 503 and down.json()["checks"]["broadcast"] is False
            redis_server.start()
            await until(lambda: app.state.resources.realtime.connected)
        assert (await http.get("/readyz")).json()["broadcast"]["reconnects"] == 1
