"""The benchmark's uvicorn worker under tracemalloc (bench_alerts.py --trace-memory).

    python traced_server.py PORT SNAPSHOT_DIR

Serves `coach_graph.app:create_app` as bench_alerts.py's plain worker does (same uvicorn
options); each SIGUSR1 writes a snapshot of the traced allocations to SNAPSHOT_DIR/<n>.snap
after a full collection, and the count and shallow size of the collector's objects by type to
SNAPSHOT_DIR/<n>.types, so the benchmark can compare before and after N idle subscriptions.
Tracing costs memory and time: figures measured with it are for finding holders only.
"""

from __future__ import annotations

import gc
import json
import signal
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from types import FrameType

import uvicorn

FRAMES = 8


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    tracemalloc.start(FRAMES)
    taken = 0

    def snapshot(signum: int, frame: FrameType | None) -> None:
        nonlocal taken
        gc.collect()
        tracemalloc.take_snapshot().dump(str(folder / f"{taken}.snap"))
        counts: Counter[str] = Counter()
        sizes: Counter[str] = Counter()
        # The app freezes what survives a full collection (coach_graph/runtime.py), and frozen
        # objects are out of gc.get_objects()' sight: thawed while counted, frozen again after.
        gc.unfreeze()
        for obj in gc.get_objects():
            name = f"{type(obj).__module__}.{type(obj).__qualname__}"
            counts[name] += 1
            sizes[name] += sys.getsizeof(obj)
        gc.freeze()
        (folder / f"{taken}.types").write_text(json.dumps({"counts": counts, "sizes": sizes}))
        taken += 1
        (folder / f"{taken - 1}.done").touch()

    signal.signal(signal.SIGUSR1, snapshot)
    uvicorn.run(
        "coach_graph.app:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_per_message_deflate=False,
        ws="coach_graph.patches.uvicorn:LeanWebSocketProtocol",
    )


if __name__ == "__main__":
    main()
