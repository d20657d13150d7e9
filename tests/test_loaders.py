"""Loaders.alone: a field no list repeats reads its key at once, in a batch of its own; a field
asking for the same key meanwhile waits for that read instead of reading again."""

from __future__ import annotations

import asyncio

import pytest

from coach_graph.db import Database
from coach_graph.loaders import Loaders


class Reads:
    """A batch function that answers each key doubled and notes every batch it was asked."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.go = asyncio.Event()
        self.go.set()

    async def __call__(self, db: Database, keys: list[int]) -> list[int]:
        self.batches.append(list(keys))
        await self.go.wait()
        return [2 * k for k in keys]


async def test_a_key_read_alone_is_read_once_for_every_asker(db: Database) -> None:
    loaders, reads = Loaders(db), Reads()
    reads.go.clear()
    first = asyncio.create_task(loaders.alone(reads, 21))
    await asyncio.sleep(0)
    later = [asyncio.create_task(loaders.alone(reads, 21)) for _ in range(5)]
    through_the_loader = loaders(reads).load(21)
    await asyncio.sleep(0)
    reads.go.set()
    assert await first == 42
    assert await asyncio.gather(*later) == [42] * 5
    assert await through_the_loader == 42
    assert reads.batches == [[21]]
    assert await loaders.alone(reads, 21) == 42  # kept: no read
    assert reads.batches == [[21]]


async def test_a_failed_read_fails_every_asker_and_a_cancelled_one_is_read_again(
    db: Database,
) -> None:
    loaders = Loaders(db)

    async def failing(db: Database, keys: list[int]) -> list[int]:
        raise ValueError("the read failed")

    with pytest.raises(ValueError, match="the read failed"):
        await loaders.alone(failing, 1)
    with pytest.raises(ValueError, match="the read failed"):
        await loaders(failing).load(1)

    reads = Reads()
    reads.go.clear()
    cancelled = asyncio.create_task(loaders.alone(reads, 3))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    reads.go.set()
    assert await loaders.alone(reads, 3) == 6
    assert reads.batches == [[3], [3]]
