"""Issue 19's peer side by side: coach_graph and PostGraphile 5 over the same PostgreSQL tables.

Starts a throwaway PostgreSQL cluster as `scripts/test --postgres` starts it, seeds the demo
practice into it, and serves that one database twice on 127.0.0.1: coach_graph (one uvicorn
worker) and PostGraphile (scripts/benchmarks/peer: the amber preset and the connection filter,
installed from package-lock.json by `npm ci` on the first run into the gitignored
scripts/benchmarks/peer/node_modules with the Node it supports, 22, from npm's `node` package;
one node process). Both answer the same two pages:

- My Clients: the demo coach's GRANTED clients by name, first 50, with the columns PostGraphile
  gives from the tables (id, name, e-mail, avatar, premium, last active), total and page info;
  PostGraphile filters user_account by a GRANTED coach_client row of the coach, as we do.
- A session list: one client's sessions with the coach, 50, oldest start first, with the
  service's name; PostGraphile filters on coach and client and on the client's GRANTED link.

Both answers are checked to hold the same rows (ids, in order) before anything is timed; then
`--rounds` rounds of `--runs` turns alternate the requests (one keep-alive connection to each
server). Target: each of our pages <= 1.5x PostGraphile's latency. Our every-column My Clients
page (bench_graph's, with activity, homework badge and last journal) is printed beside it.

    .venv/bin/python scripts/benchmarks/bench_peer.py [--clients 2000] [--entries 10]
        [--sessions 60] [--runs 30] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from bench_graph import LOGIN, MY_CLIENTS
from common import (
    analyze,
    graphql,
    interleaved,
    ratio_row,
    seed,
    throwaway_postgres,
    uvicorn_server,
)

from coach_graph.demo.people import DEMO_COACH_EMAIL, DEMO_PASSWORD
from coach_graph.demo.practice import DemoSize

PEER = Path(__file__).resolve().parent / "peer"
NODE = PEER / "node_modules" / ".bin" / "node"  # Node 22: PostGraphile 5 needs it
TARGET = 1.5
START_TIMEOUT = 120.0  # PostGraphile introspects the database and builds its schema first
HEADER = (
    "| benchmark | median ms | p95 ms | PostGraphile median ms | ratio spread (rounds) | ratio "
    "| target |\n|---|---:|---:|---:|---|---:|---|"
)

# ------------------------------------------------------------------ the two pages, both sides

OUR_CLIENTS = """
query MyClients {
  clients(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name email avatarUrl isPremium lastActiveAt } }
  }
}
"""

PEER_CLIENTS = """
query MyClients($coach: Int!) {
  allUserAccounts(
    first: 50
    orderBy: [NAME_ASC, ROW_ID_ASC]
    filter: {
      role: { equalTo: "CLIENT" }
      coachClientsByClientId: {
        some: { coachId: { equalTo: $coach }, consent: { equalTo: "GRANTED" } }
      }
    }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { rowId name email avatarUrl isPremium lastActiveAt } }
  }
}
"""

OUR_SESSIONS = """
query SessionList($client: ID!) {
  client(id: $client) {
    sessions(sort: OLDEST_FIRST, first: 50) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id startsAt endsAt durationMinutes status privateNotes
        price { amountMinor currency }
        service { name }
      } }
    }
  }
}
"""

PEER_SESSIONS = """
query SessionList($coach: Int!, $client: Int!) {
  allCoachingSessions(
    first: 50
    orderBy: [STARTS_AT_ASC, ROW_ID_ASC]
    filter: {
      coachId: { equalTo: $coach }
      clientId: { equalTo: $client }
      userAccountByClientId: {
        coachClientsByClientId: {
          some: { coachId: { equalTo: $coach }, consent: { equalTo: "GRANTED" } }
        }
      }
    }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      rowId startsAt endsAt durationMinutes status privateNotes priceMinor currency
      coachingServiceByServiceId { name }
    } }
  }
}
"""

# ------------------------------------------------------------------ PostGraphile


def install_peer() -> str:
    """`npm ci` in scripts/benchmarks/peer unless node_modules already holds what
    package-lock.json names; returns PostGraphile's version."""
    if shutil.which("npm") is None:
        raise SystemExit("bench_peer needs npm (it installs PostGraphile and Node 22)")
    installed = PEER / "node_modules" / ".package-lock.json"
    lock = PEER / "package-lock.json"
    if (
        not installed.exists()
        or installed.stat().st_mtime < lock.stat().st_mtime
        or not NODE.exists()
    ):
        progress("installing PostGraphile (npm ci in scripts/benchmarks/peer)")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER,
            check=True,
            timeout=600,
            stdout=sys.stderr,
        )
    package = json.loads((PEER / "node_modules" / "postgraphile" / "package.json").read_text())
    return str(package["version"])


@contextmanager
def postgraphile_server(database_url: str) -> Iterator[str]:
    """PostGraphile (peer/server.mjs) on 127.0.0.1 and a free port over `database_url`; yields
    its base URL once it listens; stopped afterwards."""
    libpq_url = database_url.replace("postgresql+asyncpg://", "postgres://")
    with tempfile.NamedTemporaryFile(prefix="coach-graph-postgraphile-", suffix=".log") as log:
        process = subprocess.Popen(
            [str(NODE), "server.mjs"],
            cwd=PEER,
            env={**os.environ, "DATABASE_URL": libpq_url, "NODE_ENV": "production", "PORT": "0"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                text = Path(log.name).read_text()
                found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
                if found:
                    break
                if process.poll() is not None:
                    raise RuntimeError(f"PostGraphile exited early:\n{text}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostGraphile did not listen in {START_TIMEOUT} s:\n{text}")
                time.sleep(0.05)
            try:
                yield found.group(1)
            except BaseException:
                # PostGraphile masks errors in its answers and logs them: show its log.
                print(
                    f"PostGraphile's log:\n{Path(log.name).read_text()[-12000:]}", file=sys.stderr
                )
                raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# ------------------------------------------------------------------ the run


def progress(message: str) -> None:
    print(f"[bench_peer {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def same_rows(name: str, ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    """Both pages list the same rows in the same order (ids), or the run stops."""
    a = [str(edge["node"]["id"]) for edge in ours]
    b = [str(edge["node"]["rowId"]) for edge in theirs]
    if a != b:
        raise SystemExit(f"{name}: the two servers answer different rows\nours:  {a}\ntheirs: {b}")
    if not a:
        raise SystemExit(f"{name}: both pages are empty; nothing to compare")


def node_version() -> str:
    done = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=60, help="sessions per client")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    version = install_peer()
    size = DemoSize(clients=args.clients, entries=args.entries, sessions=args.sessions)
    with throwaway_postgres() as cluster:
        progress(f"seeding {args.clients} clients x {args.sessions} sessions into PostgreSQL")
        practice, seconds = seed(cluster.url, size)
        analyze(cluster.url)
        coach_id = practice.demo_coach_id
        client_id = practice.clients[0].id  # client1: GRANTED, with every session
        progress("starting uvicorn and PostGraphile")
        with (
            uvicorn_server(cluster.url) as server,
            postgraphile_server(cluster.url) as peer_url,
            httpx.Client(base_url=server.base_url) as ours,
            httpx.Client(base_url=peer_url) as theirs,
        ):
            token = graphql(ours, LOGIN, {"e": DEMO_COACH_EMAIL, "p": DEMO_PASSWORD})
            token = token["data"]["login"]["token"]
            peer_vars = {"coach": coach_id, "client": client_id}

            def our_clients() -> dict[str, Any]:
                return graphql(ours, OUR_CLIENTS, token=token)

            def our_every_column() -> dict[str, Any]:
                return graphql(ours, MY_CLIENTS, token=token)

            def their_clients() -> dict[str, Any]:
                return graphql(theirs, PEER_CLIENTS, {"coach": coach_id})

            def our_sessions() -> dict[str, Any]:
                return graphql(ours, OUR_SESSIONS, {"client": str(client_id)}, token)

            def their_sessions() -> dict[str, Any]:
                return graphql(theirs, PEER_SESSIONS, peer_vars)

            a, b = our_clients()["data"]["clients"], their_clients()["data"]["allUserAccounts"]
            same_rows("My Clients", a["edges"], b["edges"])
            totals = [(a["totalCount"], b["totalCount"])]
            c = our_sessions()["data"]["client"]["sessions"]
            d = their_sessions()["data"]["allCoachingSessions"]
            same_rows("session list", c["edges"], d["edges"])
            totals.append((c["totalCount"], d["totalCount"]))
            if any(x != y for x, y in totals):
                raise SystemExit(f"the totals differ (ours, theirs): {totals}")
            sizes = {
                name: len(json.dumps(fn()).encode())
                for name, fn in (("clients", our_clients), ("their clients", their_clients),
                                 ("sessions", our_sessions), ("their sessions", their_sessions))
            }  # fmt: skip
            progress(f"{args.rounds} rounds x {args.runs} interleaved runs")
            fns: dict[str, Callable[[], object]] = {
                "clients": our_clients,
                "their clients": their_clients,
                "every column": our_every_column,
                "sessions": our_sessions,
                "their sessions": their_sessions,
            }
            s = interleaved(fns, args.runs, args.rounds)

    print(
        f"bench_peer: {args.clients} clients x {args.sessions} sessions (seeded in "
        f"{seconds:.1f} s), {args.rounds} rounds x {args.runs} interleaved runs; coach_graph "
        f"(one uvicorn worker) and PostGraphile {version} (Node {node_version()}, one process) "
        f"on 127.0.0.1 over the same throwaway PostgreSQL; {os.cpu_count()} cores, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(
        f"same rows on both sides: My Clients {totals[0][0]} in all, first 50 in the same order; "
        f"session list {totals[1][0]} in all, first 50 in the same order. JSON bytes (ours / "
        f"PostGraphile's): My Clients {sizes['clients']} / {sizes['their clients']}, "
        f"session list {sizes['sessions']} / {sizes['their sessions']}"
    )
    print()
    print(HEADER)
    print(ratio_row("My Clients vs PostGraphile", s["clients"], s["their clients"], TARGET))
    print(ratio_row("Session list vs PostGraphile", s["sessions"], s["their sessions"], TARGET))
    print(ratio_row("(My Clients with every column vs PostGraphile's columns)",
                    s["every column"], s["their clients"], TARGET))  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(bench_peer took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
