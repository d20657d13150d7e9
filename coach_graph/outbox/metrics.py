"""The outbox's numbers for /metrics: messages sent and failed attempts since the process
started, and what waits now (refreshed by the sender after each run)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from coach_graph.outbox.service import OutboxCounts


class OutboxMetrics:
    """A prometheus collector: register it in an app's registry (it holds per-process state,
    as prometheus metrics are)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self.pending = 0
        self.pending_failed = 0
        self.oldest_pending_seconds = 0.0

    def record(self, *, sent: int, failed: int) -> None:
        with self._lock:
            self.sent += sent
            self.failed += failed

    def observe(self, counts: OutboxCounts) -> None:
        with self._lock:
            self.pending = counts.pending
            self.pending_failed = counts.failed
            self.oldest_pending_seconds = counts.oldest_pending_seconds

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            yield CounterMetricFamily(
                "coach_graph_outbox_sent", "Outbox messages delivered", value=self.sent
            )
            yield CounterMetricFamily(
                "coach_graph_outbox_failed_attempts",
                "Outbox deliveries that failed (each is retried with backoff)",
                value=self.failed,
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_pending", "Outbox messages not sent yet", value=self.pending
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_failing",
                "Outbox messages not sent yet whose last attempt failed",
                value=self.pending_failed,
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_oldest_pending_seconds",
                "Age of the oldest message not sent yet",
                value=self.oldest_pending_seconds,
            )


OUTBOX_METRICS = OutboxMetrics()
