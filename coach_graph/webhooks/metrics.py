"""Webhook numbers for /metrics: deliveries by outcome since the process started, and what
waits now (refreshed by the sender after each run)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


class WebhookMetrics:
    """A prometheus collector (per-process state, as prometheus metrics are)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed_attempts = 0
        self.given_up = 0
        self.pending = 0

    def record(self, *, delivered: int, failed: int, given_up: int) -> None:
        with self._lock:
            self.delivered += delivered
            self.failed_attempts += failed
            self.given_up += given_up

    def observe(self, pending: int) -> None:
        with self._lock:
            self.pending = pending

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            outcomes = CounterMetricFamily(
                "coach_graph_webhook_deliveries",
                "Webhook delivery attempts by outcome: delivered (2xx), failed (retried with "
                "backoff, or given up), given_up (FAILED after three days or a disabled endpoint)",
                labels=["outcome"],
            )
            outcomes.add_metric(["delivered"], self.delivered)
            outcomes.add_metric(["failed"], self.failed_attempts)
            outcomes.add_metric(["given_up"], self.given_up)
            yield outcomes
            yield GaugeMetricFamily(
                "coach_graph_webhook_deliveries_pending",
                "Webhook deliveries not delivered yet and still tried",
                value=self.pending,
            )


WEBHOOK_METRICS = WebhookMetrics()
