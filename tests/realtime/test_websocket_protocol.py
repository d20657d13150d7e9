"""The lean websocket protocol's inbox and flag behave like the asyncio.Queue and asyncio.Event
they replace (the end-to-end tests run the protocol itself under uvicorn)."""

from __future__ import annotations

import asyncio

from coach_graph.websocket_protocol import _Flag, _Inbox


async def test_the_inbox_hands_messages_over_in_order_and_holds_nothing_when_empty() -> None:
    inbox = _Inbox()
    assert inbox.empty()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait({"type": "websocket.connect"})
    inbox.put_nowait({"type": "websocket.receive", "text": "1"})
    assert await reader == {"type": "websocket.connect"}
    assert not inbox.empty()
    assert await inbox.get() == {"type": "websocket.receive", "text": "1"}
    assert inbox.empty() and inbox._items is None and inbox._waiters is None


async def test_a_cancelled_reader_passes_its_wake_up_on() -> None:
    inbox = _Inbox()
    first = asyncio.create_task(inbox.get())
    second = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait({"type": "websocket.receive", "text": "x"})
    first.cancel()  # woken, but cancelled before it could take the message
    async with asyncio.timeout(1):
        assert await second == {"type": "websocket.receive", "text": "x"}
    assert first.cancelled()


async def test_the_flag_releases_every_waiter_when_set() -> None:
    flag = _Flag()
    flag.set()
    await flag.wait()
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    async with asyncio.timeout(1):
        await asyncio.gather(*waiters)
    assert flag._waiters is None
