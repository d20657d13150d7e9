"""The runtime tuning the app applies once started."""

from __future__ import annotations

import gc

from coach_graph.runtime import GC_THRESHOLDS, FreezeSurvivors, tune_gc


def test_tune_gc_sets_the_collector_thresholds_and_freezes_what_startup_built() -> None:
    tune_gc()
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert any(isinstance(c, FreezeSurvivors) for c in gc.callbacks)


class Survivor:
    """A long-lived object in a cycle (so the collector tracks and may free it)."""

    def __init__(self) -> None:
        self.me = self


def test_survivors_of_a_full_collection_are_frozen_and_thawed_for_one_pass_now_and_then() -> None:
    seconds = [0.0]
    freeze = FreezeSurvivors(thaw_seconds=60, now=lambda: seconds[0])
    # The process's own (tune_gc) would thaw on the real clock: set aside meanwhile.
    others = [c for c in gc.callbacks if isinstance(c, FreezeSurvivors)]
    for other in others:
        gc.callbacks.remove(other)
    gc.callbacks.append(freeze)
    try:
        gc.unfreeze()
        kept = Survivor()
        gc.collect()
        frozen = gc.get_freeze_count()
        assert frozen > 0 and freeze.thaws == 0
        # Cyclic garbage among frozen objects waits: a full pass before the thaw is due
        # leaves it.
        del kept
        seconds[0] = 59
        gc.collect()
        assert any(isinstance(o, Survivor) for o in gc.get_objects() + _frozen())
        assert freeze.thaws == 0
        # Due: the next full pass walks everything and frees it, then freezes the survivors.
        seconds[0] = 60
        gc.collect()
        assert freeze.thaws == 1
        assert not any(isinstance(o, Survivor) for o in gc.get_objects() + _frozen())
        assert gc.get_freeze_count() > 0
    finally:
        gc.callbacks.remove(freeze)
        gc.callbacks.extend(others)


def _frozen() -> list[object]:
    gc.unfreeze()  # to look at them (gc.get_objects() skips the frozen generation)
    found = gc.get_objects()
    gc.freeze()
    return found
