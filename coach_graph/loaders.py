"""Per-request DataLoaders. A domain writes a batch function `(db, keys) -> values` next to its
service; resolvers ask `info.context.loaders(fn).load(key)`. One loader per function per request,
so every list resolves in a constant number of statements (no N+1)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import partial
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

from coach_graph.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

BatchFn = Callable[[Database, list[K]], Awaitable[Sequence[V]]]


class Loaders:
    """Lazily created DataLoaders for one operation."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._loaders: dict[Any, DataLoader[Any, Any]] = {}

    @property
    def db(self) -> Database:
        """The database these loaders read (and whose key signs their pages' cursors)."""
        return self._db

    def __call__(self, batch: BatchFn[K, V]) -> DataLoader[K, V]:
        loader = self._loaders.get(batch)
        if loader is None:
            loader = DataLoader(load_fn=partial(_run, batch, self._db))
            self._loaders[batch] = loader
        return loader

    async def prime(self, batch: BatchFn[K, V], keys: Sequence[K]) -> None:
        """Load `keys` now, in one batch, so that fields asking for them later get the values
        at once (`now_or_later`): a list page primes what its rows will ask for."""
        keys = [k for k in dict.fromkeys(keys) if self(batch).cache_map.get(k) is None]
        if keys:
            values = await batch(self._db, keys)
            self(batch).prime_many(dict(zip(keys, values, strict=True)))

    async def alone(self, batch: BatchFn[K, V], key: K) -> V:
        """The value of `key`, read now in a batch of its own, for a field no list repeats
        (`gql.load`): nothing would join its batch, so it skips the loader's turn (a task and
        two turns of the loop, ~30 us). Its future goes into the loader's cache first, so that
        a field asking for the same key meanwhile waits for this read rather than reading."""
        loader = self(batch)
        future = loader.cache_map.get(key)
        if future is not None and not future.cancelled():
            return await future
        future = asyncio.get_running_loop().create_future()
        loader.cache_map.set(key, future)
        try:
            (value,) = await batch(self._db, [key])
        except Exception as error:
            future.set_exception(error)
        except BaseException:  # cancelled: a later asker reads again
            future.cancel()
            raise
        else:
            future.set_result(value)
        return await future

    def now_or_later(self, batch: BatchFn[K, V], key: K) -> V | Awaitable[V]:
        """The value when this request's loader already holds it, else an awaitable of it. A
        resolver returning this stays synchronous for primed rows: graphql-core awaits only
        what is awaitable, so a primed list page creates no task per row."""
        loader = self(batch)
        future = loader.cache_map.get(key)
        if (
            future is not None
            and future.done()
            and not future.cancelled()
            and future.exception() is None
        ):
            return future.result()
        return loader.load(key)


def then(value: V | Awaitable[V], fn: Callable[[V], T]) -> T | Awaitable[T]:
    """Apply `fn` now to a value, or later to an awaitable's result (a loader's future or a
    coroutine: what has `__await__`, as `inspect.isawaitable` asks, without its ABC checks)."""
    kind = type(value)
    awaitable = _AWAITABLE.get(kind)
    if awaitable is None:  # once per type: a model class answers a missing name slowly
        awaitable = _AWAITABLE[kind] = hasattr(kind, "__await__")
    if awaitable:
        return _later(cast(Awaitable[V], value), fn)
    return fn(cast(V, value))


# Whether values of a type are awaitable, by type (rows' model classes, futures, coroutines).
_AWAITABLE: dict[type, bool] = {}


async def _later(value: Awaitable[V], fn: Callable[[V], T]) -> T:
    return fn(await value)


async def _run(batch: BatchFn[K, V], db: Database, keys: list[K]) -> Sequence[V]:
    return await batch(db, list(keys))


def by_key(keys: Sequence[K], found: dict[K, V], default: V) -> list[V]:
    """Values in the order of `keys`, `default` where nothing was found."""
    return [found.get(k, default) for k in keys]
