"""The audit trail's cost on the client-detail page: the page (every tab, and the session
history with private notes) read by the demo coach from two uvicorn servers over two copies of
one seeded database, one with the trail on (the default, AUDIT_FLUSH_SECONDS=1 so its writes
run during the measurement) and one with it off (AUDIT_TRAIL=0), interleaved request by request
(`--rounds` rounds of `--runs` pairs). The coach goes through their first `--clients-read`
GRANTED clients in turn, so the trail notes reads of many clients and writes them. Target: the
trail on costs at most 5 % more than off.

    .venv/bin/python scripts/benchmarks/bench_audit.py [--clients 300] [--entries 60]
        [--clients-read 10] [--runs 30] [--rounds 5]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import time

import httpx
from bench_graph import CLIENT_DETAIL, LOGIN, fit_to_schema
from common import (
    HTTP_FLOOR_HEADER,
    graphql,
    interleaved,
    ratio_row,
    seed,
    sqlite_path_of,
    temporary_sqlite,
    uvicorn_server,
)
from graphql import get_introspection_query

from coach_graph.clients.models import ConsentStatus
from coach_graph.demo.people import DEMO_PASSWORD
from coach_graph.demo.practice import DemoSize

FLUSH_SECONDS = 1
# The detail page as bench_graph reads it, with the sessions tab (private notes are audited).
DETAIL = CLIENT_DETAIL.replace(
    "    timeline(first: 50) {",
    "    sessions(first: 20) { edges { node { id startsAt status privateNotes notesPreview } } }\n"
    "    timeline(first: 50) {",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--entries", type=int, default=60)
    parser.add_argument("--clients-read", type=int, default=10)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with temporary_sqlite() as (url_on, path_on):
        practice, seconds = seed(url_on, DemoSize(clients=args.clients, entries=args.entries))
        coach = practice.demo_coach_id
        granted = [c.id for c in practice.clients_of(coach) if c.consent is ConsentStatus.GRANTED]
        read = granted[: args.clients_read]
        path_off = path_on.with_name("bench-off.db")
        shutil.copy(path_on, path_off)
        url_off = url_on.replace(sqlite_path_of(url_on), str(path_off))
        with (
            uvicorn_server(url_on, AUDIT_FLUSH_SECONDS=str(FLUSH_SECONDS)) as on,
            uvicorn_server(url_off, AUDIT_TRAIL="0") as off,
            httpx.Client(base_url=on.base_url) as http_on,
            httpx.Client(base_url=off.base_url) as http_off,
        ):
            login = {"e": "coach@demo.example", "p": DEMO_PASSWORD}
            token_on = graphql(http_on, LOGIN, login)["data"]["login"]["token"]
            token_off = graphql(http_off, LOGIN, login)["data"]["login"]["token"]
            schema = graphql(http_on, get_introspection_query())["data"]
            detail, missing = fit_to_schema(DETAIL, schema)
            turns_on = itertools.cycle(read)
            turns_off = itertools.cycle(read)
            s = interleaved(
                {
                    "on": lambda: graphql(http_on, detail, {"id": str(next(turns_on))}, token_on),
                    "off": lambda: graphql(
                        http_off, detail, {"id": str(next(turns_off))}, token_off
                    ),
                },
                args.runs,
                args.rounds,
            )
            time.sleep(FLUSH_SECONDS + 1)  # the last reads' flush
            trail = graphql(http_on, "{ auditTrail(first: 1) { totalCount } }", token=token_on)
            recorded = trail["data"]["auditTrail"]["totalCount"]

    print(
        f"bench_audit: {args.clients} clients x {args.entries} journal entries (seeded in "
        f"{seconds:.1f} s), the coach reading {len(read)} clients in turn, {args.rounds} rounds "
        f"x {args.runs} interleaved runs, two uvicorn servers on 127.0.0.1 (trail on / off) "
        f"over copies of one SQLite database; {recorded} events on the coach's trail (the demo's "
        "and the run's)"
    )
    print()
    print(HTTP_FLOOR_HEADER.replace("floor median ms", "trail off median ms"))
    print(ratio_row("Client detail with the audit trail on (vs off)", s["on"], s["off"], 1.05))
    if missing:
        print()
        print(f"Not in this schema yet, left out: {', '.join(sorted(set(missing)))}")
    sys.stdout.flush()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(bench_audit took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
