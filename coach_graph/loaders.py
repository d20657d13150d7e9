"""Per-request DataLoaders. A domain writes a batch function `(db, keys) -> values` next to its
service; resolvers ask `info.context.loaders(fn).load(key)`. One loader per function per request,
so every list resolves in a constant number of statements (no N+1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import partial
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from coach_graph.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFn = Callable[[Database, list[K]], Awaitable[Sequence[V]]]


class Loaders:
    """Lazily created DataLoaders for one operation."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._loaders: dict[Any, DataLoader[Any, Any]] = {}

    def __call__(self, batch: BatchFn[K, V]) -> DataLoader[K, V]:
        loader = self._loaders.get(batch)
        if loader is None:
            loader = DataLoader(load_fn=partial(_run, batch, self._db))
            self._loaders[batch] = loader
        return loader


async def _run(batch: BatchFn[K, V], db: Database, keys: list[K]) -> Sequence[V]:
    return await batch(db, list(keys))


def by_key(keys: Sequence[K], found: dict[K, V], default: V) -> list[V]:
    """Values in the order of `keys`, `default` where nothing was found."""
    return [found.get(k, default) for k in keys]
