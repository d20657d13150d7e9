"""Apollo's automatic persisted queries (APQ), over POST and GET.

A client first sends only the sha256 of its document (`extensions.persistedQuery.sha256Hash`,
version 1). A known hash runs the document stored under it; an unknown one is answered with
PERSISTED_QUERY_NOT_FOUND (HTTP 200, as Apollo Server answers: a 400 would make Apollo Client
turn persisted queries off for good), and the client sends the hash again with the document,
which is checked against the hash, stored and run.

Documents are kept in a bounded LRU per worker and, when BROADCAST_URL is redis://, in Redis
(one key per hash, with a TTL), so a document registered with one worker runs on every worker.
Redis being away only costs a round trip: a miss is a miss, and the client resends the document.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from cross_web import HTTPException
from redis import asyncio as redis
from strawberry.http import GraphQLRequestData

log = logging.getLogger("coach_graph.apq")

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
# Apollo's message for the same error (older clients match on it, newer ones on the code).
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
VERSION = 1
REDIS_KEY_PREFIX = "coach_graph:apq:"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryNotFound(Exception):
    """A hash-only request for a hash this service does not know (yet)."""


def redis_url_of(broadcast_url: str) -> str | None:
    """The Redis to share documents through: the broadcast backend's, when it is Redis."""
    return broadcast_url if broadcast_url.startswith(("redis://", "rediss://")) else None


def _requested_hash(persisted: Any) -> str:
    """The hash a `persistedQuery` extension asks for, or 400 saying what is wrong with it."""
    if not isinstance(persisted, dict):
        raise HTTPException(400, "`extensions.persistedQuery` must be an object.")
    if persisted.get("version") != VERSION:
        raise HTTPException(400, "Unsupported persisted query version (only 1 is).")
    sha256_hash = persisted.get("sha256Hash")
    if not isinstance(sha256_hash, str) or not _SHA256_HEX.fullmatch(sha256_hash):
        raise HTTPException(400, "`persistedQuery.sha256Hash` must be 64 lowercase hex digits.")
    return sha256_hash


class PersistedQueries:
    """The documents clients registered by hash: `resolve` fills in a request's document."""

    def __init__(self, size: int, redis_url: str | None = None, ttl_seconds: int = 86400) -> None:
        self.size = size
        self.ttl_seconds = ttl_seconds
        self._local: OrderedDict[str, str] = OrderedDict()
        # Connections open lazily, on the event loop of the first request that needs one.
        self._redis = redis.Redis.from_url(redis_url, decode_responses=True) if redis_url else None

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """`data` with the document its hash names; unchanged without a `persistedQuery`.

        Raises PersistedQueryNotFound for an unknown hash without a document, and 400
        (HTTPException) for a document that does not match its hash or a malformed extension.
        """
        persisted = (data.extensions or {}).get("persistedQuery")
        if persisted is None:
            return data
        sha256_hash = _requested_hash(persisted)
        if data.query is None:
            query = await self.get(sha256_hash)
            if query is None:
                raise PersistedQueryNotFound(sha256_hash)
            return replace(data, query=query)
        if hashlib.sha256(data.query.encode("utf-8")).hexdigest() != sha256_hash:
            raise HTTPException(400, "provided sha does not match query")
        await self.put(sha256_hash, data.query)
        return data

    async def get(self, sha256_hash: str) -> str | None:
        query = self._local.get(sha256_hash)
        if query is not None:
            self._local.move_to_end(sha256_hash)
            return query
        if self._redis is None:
            return None
        try:
            stored = await self._redis.get(REDIS_KEY_PREFIX + sha256_hash)
        except redis.RedisError as exc:
            log.warning("persisted query lookup in Redis failed: %r", exc)
            return None
        if not isinstance(stored, str):
            return None
        self._remember(sha256_hash, stored)
        return stored

    async def put(self, sha256_hash: str, query: str) -> None:
        known = sha256_hash in self._local
        self._remember(sha256_hash, query)
        if self._redis is None or known:
            return
        try:
            await self._redis.set(REDIS_KEY_PREFIX + sha256_hash, query, ex=self.ttl_seconds)
        except redis.RedisError as exc:
            log.warning("storing a persisted query in Redis failed: %r", exc)

    def _remember(self, sha256_hash: str, query: str) -> None:
        self._local[sha256_hash] = query
        self._local.move_to_end(sha256_hash)
        while len(self._local) > self.size:
            self._local.popitem(last=False)

    def __len__(self) -> int:
        return len(self._local)
