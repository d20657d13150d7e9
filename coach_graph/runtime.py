"""Process-wide runtime settings the app applies once it has started.

Not a framework patch (coach_graph/patches/): it reaches into nobody's internals and uses only
the garbage collector's public API, so no upgrade can break it; it is a tuning choice, kept
here so app.py only calls it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# The cyclic garbage collector's thresholds, set once per process when the app starts.
GC_THRESHOLDS = (10_000, 10, 10)
# How often (seconds) a full collection walks the frozen objects too (see FreezeSurvivors).
THAW_SECONDS = 900.0
_gc_tuned = False


class FreezeSurvivors:
    """A `gc.callbacks` entry: what survives a full collection is frozen (out of the next full
    collections' sight), and at most every `thaw_seconds` a full collection first thaws them
    all, so cycles among long-lived objects that died meanwhile are freed then.

    Why: a full collection walks every tracked object. 10,000 idle subscriptions hold ~1.5
    million; one pass took 1-3 s, and fan-out itself (each subscriber keeps its last event's
    result until the next) fills the old generation fast enough to trigger one every few events
    (measured with scripts/benchmarks/bench_alerts.py --subscribers 10000 and a gc callback).
    Frozen, the idle subscriptions cost a full pass nothing; only what came since is walked.
    Reference counting still frees frozen objects as usual; only cyclic garbage among them waits
    for the next thaw."""

    def __init__(
        self, thaw_seconds: float = THAW_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.thaw_seconds = thaw_seconds
        self.now = now
        self.thawed_at = now()
        self.thaws = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            if self.now() - self.thawed_at >= self.thaw_seconds:
                gc.unfreeze()
                self.thawed_at = self.now()
                self.thaws += 1
        elif phase == "stop":
            gc.freeze()


def tune_gc() -> None:
    """Keep the garbage collector's pauses off live delivery (measured with
    scripts/benchmarks/bench_alerts.py and a gc callback, Python 3.11).

    A full collection walks every tracked object: with 1,000 idle subscriptions (~220 objects
    each) next to the ~175,000 objects of the loaded app, one pass took 250-300 ms, and at the
    default thresholds (700, 10, 10) fan-out to 1,000 sockets triggered one or two of them per
    alert, which was the whole p99 tail. So, once the app has started:

    - `gc.freeze()` moves what startup built (modules, schema, mappers; alive for the whole
      process anyway) out of the collector's sight: full passes then walk only what came after
      (~40% shorter at 1,000 subscribers);
    - a young-generation threshold of 10,000 instead of 700: the short-lived objects of a burst
      of deliveries die by reference counting before a collection can promote them, so far
      fewer reach the old generation and full passes become rare. Memory held by not yet
      collected cycles stays bounded by the same thresholds (gen 1 and 2 ratios unchanged).

    - afterwards, what survives a full collection is frozen too (`FreezeSurvivors`), thawed
      for one complete pass at most every `THAW_SECONDS`.

    Once per process (uvicorn runs the lifespan once per worker; a test process creates many
    apps).
    """
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.callbacks.append(FreezeSurvivors())
