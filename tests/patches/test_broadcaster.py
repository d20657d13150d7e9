"""Guard for coach_graph/patches/broadcaster.py: the installed broadcaster is the version the
Redis backend was written for, and what the subclass relies on is still there (its behaviour
against a real redis-server is tested in tests/realtime/test_realtime.py)."""

from __future__ import annotations

import inspect

from broadcaster._backends.redis import RedisBackend

from coach_graph.patches.broadcaster import WRITTEN_FOR, redis_backend
from tests.patches.pins import assert_written_for


def test_the_installed_broadcaster_is_the_version_the_backend_was_written_for() -> None:
    assert_written_for(WRITTEN_FOR)


def test_the_redis_backend_still_has_what_the_subclass_uses() -> None:
    init = inspect.getsource(RedisBackend.__init__)
    for attribute in ("self._conn", "self._pubsub", "self._ready", "self._listener", "self._queue"):
        assert attribute in init, f"RedisBackend no longer sets {attribute}"
    for method in ("subscribe", "publish", "next_published", "disconnect", "connect"):
        assert inspect.iscoroutinefunction(getattr(RedisBackend, method)), method


def test_upstream_still_marks_itself_ready_before_its_subscribe_is_done() -> None:
    source = inspect.getsource(RedisBackend.subscribe)
    assert "self._ready.set()" in source
    ready, subscribe = source.index("self._ready.set()"), source.index("subscribe(channel)")
    assert ready < subscribe, "upstream now awaits its SUBSCRIBE first: the patch may go"


def test_the_corrected_backend_is_a_redis_backend() -> None:
    backend = redis_backend("redis://127.0.0.1:1")
    assert isinstance(backend, RedisBackend)
    assert type(backend).subscribe is not RedisBackend.subscribe
