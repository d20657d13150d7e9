"""Metrics stay off the hot path: a trivial query's latency with metrics on (METRICS=true, the
default: per-operation counter and histogram, errors by code, the HTTP request metrics) and off
(METRICS=false), two real uvicorn servers on one seeded database in the same run, timed in
interleaved rounds so both see the same machine. Target: overhead <= 5 %.

    .venv/bin/python scripts/benchmarks/bench_metrics.py [--runs 3000] [--rounds 10]
"""

from __future__ import annotations

import argparse

import httpx
from common import HEADER, graphql, median, row, seed, temporary_sqlite, time_ms, uvicorn_server

from coach_graph.demo.practice import DemoSize

TRIVIAL = "query Trivial { __typename }"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3000, help="requests per server")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds")
    args = parser.parse_args()
    per_round = max(1, args.runs // args.rounds)
    with temporary_sqlite() as (url, _):
        seed(url, DemoSize(clients=5, entries=2, sessions=2))
        with (
            uvicorn_server(url, METRICS="true") as on,
            uvicorn_server(url, METRICS="false") as off,
            httpx.Client(base_url=on.base_url) as http_on,
            httpx.Client(base_url=off.base_url) as http_off,
        ):
            assert "coach_graph_graphql_operations" in http_on.get("/metrics").text
            assert http_off.get("/metrics").status_code == 404
            samples_on: list[float] = []
            samples_off: list[float] = []
            for _ in range(args.rounds):
                samples_off += time_ms(lambda: graphql(http_off, TRIVIAL), per_round)
                samples_on += time_ms(lambda: graphql(http_on, TRIVIAL), per_round)
    overhead = (median(samples_on) / median(samples_off) - 1) * 100
    print(HEADER)
    print(row("trivial query, metrics off", samples_off, None, "-"))
    print(row("trivial query, metrics on", samples_on, samples_off, "<= 1.05x"))
    print(f"\nmetrics overhead on the median: {overhead:+.1f} % (target <= 5 %)")


if __name__ == "__main__":
    main()
