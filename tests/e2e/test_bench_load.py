"""The load benchmark runs end to end against the real server (one worker, then two) and prints
the report its readers parse: the rows, not the performance figures. Its smallest run (a demo
practice of 2 clients, half a second of load per worker count): the benchmark itself is
scripts/bench, not part of the test run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(?:\.\d+)?"


def table_rows(report: str) -> dict[str, list[str]]:
    """Markdown table rows by their first cell (header and separator rows left out)."""
    rows = {}
    for line in report.splitlines():
        if line.startswith("| ") and not line.startswith(("| benchmark", "| page")):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_quick_load_run_reports_every_row() -> None:
    smallest = ["--seconds", "0.5", "--users", "10", "--clients", "2", "--entries", "2"]
    done = subprocess.run(
        [sys.executable, "scripts/benchmarks/bench_load.py", *smallest],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = table_rows(done.stdout)

    for workers in ("1 worker", "2 workers"):
        throughput, p50, p95, p99, errors, _, target = rows[f"load: {workers}, 10 users"]
        for figure in (throughput, p50, p95, p99, errors):
            assert re.fullmatch(NUMBER, figure), (workers, figure)
        assert float(p50) <= float(p95) <= float(p99)
        assert target == "0 errors, p99 <= 1000 ms"
    assert re.fullmatch(rf"{NUMBER}x", rows["load: scaling, 2 workers / 1 worker"][5])

    worst = rows["worst query the cost limit lets through (1 worker, idle)"]
    cost, limit, median_ms, max_ms, size = worst[:5]
    assert int(limit) == 5000
    assert 0 < int(cost) <= int(limit)
    assert float(median_ms) <= float(max_ms)
    assert int(size) > 0

    # Every page of the dashboard and every kind of write was sent at least once.
    for page in ("My Clients", "client detail", "sessions list", "notifications"):
        assert page in rows, page
        assert int(rows[page][0]) > 0
    assert re.search(r"load generator \d+% of one core", done.stdout)
