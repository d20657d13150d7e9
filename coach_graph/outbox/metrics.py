"""The outbox's numbers for /metrics: messages sent, failed attempts and messages given up
since the process started, and what waits or was given up now (refreshed by the sender after
each run)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from coach_graph.outbox.status import OutboxCounts


class OutboxMetrics:
    """A prometheus collector: register it in an app's registry (it holds per-process state,
    as prometheus metrics are)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.failed_attempts = 0
        self.given_up = 0
        self.pending = 0
        self.retrying = 0
        self.failed = 0
        self.oldest_pending_seconds = 0.0

    def record(self, *, sent: int, failed: int, given_up: int = 0) -> None:
        with self._lock:
            self.sent += sent
            self.failed_attempts += failed
            self.given_up += given_up

    def observe(self, counts: OutboxCounts) -> None:
        with self._lock:
            self.pending = counts.pending
            self.retrying = counts.retrying
            self.failed = counts.failed
            self.oldest_pending_seconds = counts.oldest_pending_seconds

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            yield CounterMetricFamily(
                "coach_graph_outbox_sent", "Outbox messages delivered", value=self.sent
            )
            yield CounterMetricFamily(
                "coach_graph_outbox_failed_attempts",
                "Outbox deliveries that failed (retried with backoff, or given up)",
                value=self.failed_attempts,
            )
            yield CounterMetricFamily(
                "coach_graph_outbox_given_up",
                "Outbox messages given up (marked FAILED) by this worker",
                value=self.given_up,
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_pending",
                "Outbox messages not sent yet and still tried",
                value=self.pending,
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_failed",
                "Outbox messages given up (FAILED): sent again only by `coach-graph outbox retry`",
                value=self.failed,
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_failing",
                "Outbox messages not sent yet whose last attempt failed",
                value=self.retrying,
            )
            yield GaugeMetricFamily(
                "coach_graph_outbox_oldest_pending_seconds",
                "Age of the oldest message not sent yet",
                value=self.oldest_pending_seconds,
            )


OUTBOX_METRICS = OutboxMetrics()
