"""The runtime tuning the app applies once started."""

from __future__ import annotations

import gc

from coach_graph.runtime import GC_THRESHOLDS, tune_gc


def test_tune_gc_sets_the_collector_thresholds_and_freezes_what_startup_built() -> None:
    tune_gc()
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
