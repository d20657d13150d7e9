"""Issue 9's load benchmark: N concurrent virtual dashboard users against the real server.

Seeds the default demo practice into a fresh database (a SQLite file, or with `--database
postgres` a database on a throwaway PostgreSQL cluster started as `scripts/test --postgres` starts
it), starts uvicorn on 127.0.0.1 (one worker, then again on a freshly seeded database with two;
every run publishes through a throwaway redis-server, the broadcast several workers need), logs
in the demo coach and the demo coach's clients (password `demo-password`), and runs `--users`
virtual dashboards for `--seconds` (and at most `--max-requests` requests). Each user loops over
the seed pages (My Clients, client detail with every tab, the sessions list, notifications; a
page whose fields the schema lacks is trimmed or left out, found by introspection once) with
`--writes` of its requests writing: journal entries as a client, session notes and bookings as
the coach.

Each user is a closed loop on its own HTTP/1.1 keep-alive connection (lean_http.py: request
bytes built once per page, answers read by Content-Length, bodies parsed with orjson to count
GraphQL errors): ~0.3 ms of client CPU a request where httpx's pooled AsyncClient took ~6.5 ms,
CPU the servers need on a 2-core machine.

Reports throughput, p50/p95/p99 latency and errors by kind per worker count, the scaling ratio
2 workers / 1 worker, the CPU the load generator itself used (it must not be the bottleneck:
use `--client-processes 2` when one process nears 100% of a core), and the time and bytes of
the most expensive query the static cost limit (QUERY_COST_LIMIT) lets through.
Targets: 0 errors at 200 users, p99 <= 1 s; 2 workers >= 1.6x the throughput of 1 on SQLite,
>= 1.7x on PostgreSQL; 1 worker on SQLite >= 3x the 28.7 requests/s issue 19 measured.

    .venv/bin/python scripts/benchmarks/bench_load.py [--users 200] [--seconds 60]
        [--workers 1,2] [--client-processes 1] [--max-requests 1000000] [--writes 0.1]
        [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import random
import statistics
import sys
import time
from asyncio import LimitOverrunError
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from bench_graph import CLIENT_DETAIL, LOGIN, MY_CLIENTS, fit_to_schema
from common import (
    PostgresCluster,
    analyze,
    create_database,
    graphql,
    seed,
    temporary_sqlite,
    throwaway_postgres,
    throwaway_redis,
    uvicorn_server,
)
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
)
from lean_http import Connection, ProtocolError, error_kinds, graphql_request

from coach_graph.clients.models import ConsentStatus
from coach_graph.demo.people import DEMO_COACH_EMAIL, DEMO_PASSWORD
from coach_graph.demo.practice import DemoSize

# ------------------------------------------------------------------ the dashboard's pages

SESSIONS_LIST = """
query SessionsList {
  sessions(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id startsAt endsAt durationMinutes status notesPreview clientName canJoin
      price { amountMinor currency }
      service { id name }
      pendingRescheduleRequest { id proposedStartsAt }
    } }
  }
}
"""

# The Notifications page: its stats grid, the coach's alerts, and the notification list (the
# contract's `notifications`, left out while the schema lacks it).
NOTIFICATIONS = """
query Notifications {
  notificationStats { needsAttention overdueHomework inactiveClients }
  alerts(first: 20) {
    totalCount
    edges { node { id title category severity message createdAt dismissedAt client { id name } } }
  }
  notifications(first: 20) {
    totalCount unreadCount
    edges { cursor node { id kind title body createdAt readAt session { id startsAt } } }
  }
}
"""

PAGES = {
    "My Clients": MY_CLIENTS,
    "client detail": CLIENT_DETAIL,
    "sessions list": SESSIONS_LIST,
    "notifications": NOTIFICATIONS,
}

JOURNAL = """mutation Journal($c: String!) {
  createJournalEntry(content: $c) { id createdAt analysisStatus } }"""
NOTES = """mutation Notes($id: ID!, $n: String) {
  updateSessionNotes(id: $id, privateNotes: $n) { id notesPreview } }"""
BOOK = """mutation Book($c: ID!, $s: ID!, $at: DateTime!) {
  bookSession(clientId: $c, serviceId: $s, startsAt: $at) { id startsAt status } }"""

HEADER = (
    "| benchmark | requests/s | p50 ms | p95 ms | p99 ms | errors | ratio | target |\n"
    "|---|---:|---:|---:|---:|---:|---:|---|"
)
P99_TARGET_MS = 1000.0
SCALING_TARGET = {"sqlite": 1.6, "postgres": 1.7}
ENGINE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
# Issue 19's figure for 1 worker, 200 users, 10 % writes on SQLite, and the target against it.
BEFORE_REQUESTS_PER_SECOND = 28.7
BEFORE_TARGET = 3.0
REQUEST_TIMEOUT = 120.0  # longer than any server-side wait, so a slow answer is measured

# ------------------------------------------------------------------ what the users run


@dataclass
class Plan:
    """Everything a load process needs: picklable, so several processes can run it."""

    base_url: str
    pages: dict[str, str]
    coach_token: str
    client_tokens: list[str]
    client_ids: list[str]
    session_ids: list[str]
    service_id: str | None
    slots: list[str]
    users: int
    seconds: float
    max_requests: int
    writes: float
    start_at: float = 0.0


@dataclass
class Outcome:
    """What one load process measured."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)  # failed requests per page
    first_error: dict[str, str] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    ended_at: float = 0.0

    def merge(self, other: Outcome) -> None:
        for name, samples in other.latencies.items():
            self.latencies.setdefault(name, []).extend(samples)
        self.errors.update(other.errors)
        self.failed.update(other.failed)
        for kind, text in other.first_error.items():
            self.first_error.setdefault(kind, text)
        self.cpu_seconds += other.cpu_seconds
        self.ended_at = max(self.ended_at, other.ended_at)


def response_errors(response: httpx.Response) -> list[str]:
    """`error_kinds` of an httpx answer (the set-up's and the worst query's)."""
    return error_kinds(response.status_code, response.content)


async def drive(plan: Plan, process_index: int, processes: int) -> Outcome:
    """Run this process's share of the users until the time or request budget is spent: each
    user one keep-alive connection (lean_http), one request in flight, its next request sent
    when the answer is read. A page's request bytes are built once (per client for the client
    detail page); a write's when it is sent."""
    users = [u for u in range(plan.users) if u % processes == process_index]
    budget = itertools.count()
    limit = plan.max_requests // processes
    slots = plan.slots[process_index::processes]
    outcome = Outcome()
    deadline = plan.start_at + plan.seconds
    host = urlsplit(plan.base_url).netloc
    coach = plan.coach_token
    built = {
        name: graphql_request(host, coach, document, {})
        for name, document in plan.pages.items()
        if name != "client detail"
    }
    details = [
        graphql_request(host, coach, plan.pages["client detail"], {"id": client})
        for client in plan.client_ids
        if "client detail" in plan.pages
    ]

    def next_request(rng: random.Random, pages: itertools.cycle[str]) -> tuple[str, bytes]:
        """(name, request bytes) of the next request of a dashboard user."""
        if rng.random() < plan.writes:
            kind = rng.choice(("journal entry", "session notes", "booking"))
            if kind == "booking" and plan.service_id and slots and plan.client_ids:
                variables = {"c": rng.choice(plan.client_ids), "s": plan.service_id,
                             "at": slots.pop()}  # fmt: skip
                return "write: booking", graphql_request(host, coach, BOOK, variables)
            if kind == "journal entry" and plan.client_tokens:
                text = f"Load test entry {rng.random():.6f}: a calm day, a walk, some reading."
                token = rng.choice(plan.client_tokens)
                return "write: journal entry", graphql_request(host, token, JOURNAL, {"c": text})
            if plan.session_ids:
                variables = {"id": rng.choice(plan.session_ids), "n": f"note {rng.random():.6f}"}
                return "write: session notes", graphql_request(host, coach, NOTES, variables)
        name = next(pages)
        if name == "client detail":
            return name, rng.choice(details)
        return name, built[name]

    async def user(number: int) -> None:
        rng = random.Random(number)
        names = list(plan.pages)
        pages = itertools.cycle(names[number % len(names) :] + names[: number % len(names)])
        connection = Connection(plan.base_url)
        try:
            while time.time() < deadline and next(budget) < limit:
                name, request = next_request(rng, pages)
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT):
                        status, body = await connection.send(request)
                    kinds = error_kinds(status, body)
                    detail = body[:300].decode(errors="replace")
                except (OSError, EOFError, ValueError, ProtocolError, LimitOverrunError) as exc:
                    kinds, detail = [type(exc).__name__], str(exc)[:300]
                outcome.latencies.setdefault(name, []).append(
                    (time.perf_counter() - started) * 1000
                )
                if kinds:
                    outcome.failed[name] += 1
                    for kind in kinds:
                        outcome.errors[kind] += 1
                        outcome.first_error.setdefault(kind, f"{name}: {detail}")
        finally:
            connection.close()

    await asyncio.sleep(max(0.0, plan.start_at - time.time()))
    cpu = time.process_time()
    await asyncio.gather(*(user(u) for u in users))
    outcome.cpu_seconds = time.process_time() - cpu
    outcome.ended_at = time.time()
    return outcome


def drive_process(plan: Plan, process_index: int, processes: int) -> Outcome:
    return asyncio.run(drive(plan, process_index, processes))


def run_load(plan: Plan, processes: int) -> Outcome:
    """Start the users in `processes` processes (1: in this one) at the same moment."""
    plan.start_at = time.time() + (2.0 if processes > 1 else 0.2)
    if processes == 1:
        return drive_process(plan, 0, 1)
    outcome = Outcome()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for part in pool.starmap(drive_process, [(plan, i, processes) for i in range(processes)]):
            outcome.merge(part)
    return outcome


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its live children (the workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# ------------------------------------------------------------------ the worst allowed query

# What a list without a page argument is assumed to hold when costing a document.
ASSUMED_LIST_SIZE = 10


def estimate_cost(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> int:
    """Static cost by issue 9's rule: each object (composite-type field) costs 1, multiplied by
    the page size (`first`, or its default) of every list or connection above it; scalars are
    free; fragments are expanded. A connection's `edges` list is its page (no second factor);
    other lists without `first` count ASSUMED_LIST_SIZE."""
    ast = parse(document)
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in ast.definitions if isinstance(d, OperationDefinitionNode))

    def page_size(node: FieldNode, definition: GraphQLField, in_page: bool) -> int:
        if "first" in definition.args:
            for argument in node.arguments or ():
                if argument.name.value == "first":
                    value = argument.value
                    if isinstance(value, IntValueNode):
                        return int(value.value)
                    if isinstance(value, VariableNode) and value.name.value in variables:
                        return int(variables[value.name.value])
            default = definition.args["first"].default_value
            return int(default) if isinstance(default, int) else ASSUMED_LIST_SIZE
        if in_page or not is_list_type(get_nullable_type(definition.type)):
            return 1
        return ASSUMED_LIST_SIZE

    def walk(
        selections: SelectionSetNode, parent: GraphQLNamedType, multiplier: int, in_page: bool
    ) -> int:
        cost = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                fields = getattr(parent, "fields", {})
                definition = fields.get(node.name.value)
                if definition is None or node.selection_set is None:
                    continue
                named = get_named_type(definition.type)
                if is_composite_type(named):
                    cost += multiplier
                    inner = multiplier * page_size(node, definition, in_page)
                    cost += walk(node.selection_set, named, inner, "first" in definition.args)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                cost += walk(node.selection_set, target or parent, multiplier, in_page)
            elif isinstance(node, FragmentSpreadNode):
                fragment = fragments[node.name.value]
                target = schema.get_type(fragment.type_condition.name.value)
                cost += walk(fragment.selection_set, target or parent, multiplier, in_page)
        return cost

    root = schema.query_type if operation.operation.value == "query" else schema.mutation_type
    assert root is not None
    return walk(operation.selection_set, root, 1, False)


def costly_query(clients: int, entries: int, items: int) -> str:
    """Every client, each with `entries` journal entries (the longest texts) and `items` of
    their timeline: the read that returns the most per unit of cost."""
    journal = (
        f"journalEntries(first: {entries}) {{ edges {{ node {{ id createdAt content }} }} }}"
        if entries
        else ""
    )
    timeline = (
        f"timeline(first: {items}) "
        f"{{ edges {{ node {{ id kind title description occurredAt }} }} }}"
        if items
        else ""
    )
    return (
        f"query Costly {{ clients(first: {clients}) {{ edges {{ node {{ id name email "
        f"{journal} {timeline} }} }} }} }}"
    )


def build_costly(
    schema: GraphQLSchema, limit: float, clients: int, entries: int, max_page: int = 100
) -> tuple[str, int]:
    """The most expensive `costly_query` whose estimated cost stays <= `limit`: every client
    (a client page beyond the practice returns nothing more), the journal up to the entries a
    client has, then the timeline; returns the document and its estimated cost."""
    best = (costly_query(clients, 0, 1), estimate_cost(schema, costly_query(clients, 0, 1), {}))
    for budget in range(1, 2 * max_page + 1):
        journal = min(budget, entries, max_page)
        items = min(budget - journal, max_page)
        document = costly_query(clients, journal, items)
        cost = estimate_cost(schema, document, {})
        if cost > limit:
            break
        best = (document, cost)
    return best


@dataclass
class CostlyResult:
    cost: int
    limit: int
    refused_by_server: int  # attempts the server refused before one passed
    times_ms: list[float]
    size: int
    errors: list[str]
    over_limit: str  # what the server did with a query at twice the limit


def measure_costly(
    http: httpx.Client, token: str, schema: GraphQLSchema, limit: int, practice: DemoSize
) -> CostlyResult:
    """Build the worst query under the limit, fit it to the server's own count (it names the
    cost of a refused query), time it 5 times on the idle server and probe 2x the limit."""
    headers = {"Authorization": f"Bearer {token}"}
    clients = min(practice.clients, 100)
    target = float(limit)
    refused = 0
    for _ in range(6):
        document, cost = build_costly(schema, target, clients, practice.entries)
        response = http.post("/graphql", json={"query": document}, headers=headers)
        server_cost = next(
            (
                (e.get("extensions") or {}).get("cost")
                for e in response.json().get("errors") or []
                if (e.get("extensions") or {}).get("cost") is not None
            ),
            None,
        )
        if server_cost is None:
            break
        refused += 1  # the server counts differently: scale our budget to its count
        target = target * limit / float(server_cost) * 0.98
    times, size, errors = [], 0, []
    for _ in range(5):
        started = time.perf_counter()
        response = http.post("/graphql", json={"query": document}, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        size = len(response.content)
        errors = response_errors(response)
    over, _ = build_costly(schema, 2 * limit, clients, practice.entries)
    started = time.perf_counter()
    response = http.post("/graphql", json={"query": over}, headers=headers)
    spent = (time.perf_counter() - started) * 1000
    kinds = response_errors(response)
    over_limit = (
        f"refused ({', '.join(kinds)}) in {spent:.0f} ms"
        if kinds
        else f"NOT refused: answered {len(response.content):,} bytes in {spent:.0f} ms"
    )
    return CostlyResult(cost, limit, refused, times, size, errors, over_limit)


# ------------------------------------------------------------------ one run


@dataclass
class Run:
    workers: int
    outcome: Outcome
    seconds: float
    server_cpu: float
    database_cpu: float  # the PostgreSQL server's (0 on SQLite: it runs inside the workers)
    costly: CostlyResult | None

    @property
    def samples(self) -> list[float]:
        return [s for samples in self.outcome.latencies.values() for s in samples]

    @property
    def errors(self) -> int:
        return sum(self.outcome.failed.values())

    @property
    def throughput(self) -> float:
        return (len(self.samples) - self.errors) / self.seconds


def percentile(samples: list[float], q: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q) - 1]


def prepare(http: httpx.Client, args: argparse.Namespace, practice: Any) -> tuple[Plan, Any]:
    """Log everyone in, fit the pages to the schema, find sessions to note and slots to book."""
    login = graphql(http, LOGIN, {"e": DEMO_COACH_EMAIL, "p": DEMO_PASSWORD})
    coach_token = login["data"]["login"]["token"]
    mine = [
        c
        for c in practice.clients
        if c.coach_id == practice.demo_coach_id and c.consent == ConsentStatus.GRANTED
    ]
    client_tokens = [
        graphql(http, LOGIN, {"e": c.email, "p": DEMO_PASSWORD})["data"]["login"]["token"]
        for c in mine
    ]
    introspection = graphql(http, get_introspection_query())["data"]
    pages, missing = {}, []
    for name, document in PAGES.items():
        fitted, left_out = fit_to_schema(document, introspection)
        missing += left_out
        if "{" in fitted:  # a root field is left to ask for (else nothing is printed)
            pages[name] = fitted
    sessions = graphql(
        http, "{ sessions(first: 100) { edges { node { id } } } }", token=coach_token
    )
    services = graphql(http, "{ services { id durationMinutes archived } }", token=coach_token)
    bookable = sorted(
        (s for s in services["data"]["services"] if not s["archived"]),
        key=lambda s: s["durationMinutes"],
    )
    slots: list[str] = []
    if bookable:
        start = datetime.now(UTC) + timedelta(days=1)
        found = graphql(
            http,
            "query($s: ID!, $f: DateTime!, $t: DateTime!) { availableSlots(serviceId: $s, "
            "from: $f, to: $t) }",
            {"s": bookable[0]["id"], "f": start.isoformat(),
             "t": (start + timedelta(days=60)).isoformat()},
            coach_token,
        )  # fmt: skip
        # Bookings must not break the coach's buffer to one another: starts at least the
        # service's length plus the buffer apart.
        rules = graphql(http, "{ bookingRules { bufferMinutes } }", token=coach_token)
        apart = timedelta(
            minutes=bookable[0]["durationMinutes"] + rules["data"]["bookingRules"]["bufferMinutes"]
        )
        last: datetime | None = None
        for slot in found["data"]["availableSlots"]:
            at = datetime.fromisoformat(slot.replace("Z", "+00:00"))
            if last is None or at >= last + apart:
                slots.append(slot)
                last = at
    plan = Plan(
        base_url=str(http.base_url).rstrip("/"),
        pages=pages,
        coach_token=coach_token,
        client_tokens=client_tokens,
        client_ids=[str(c.id) for c in mine],
        session_ids=[e["node"]["id"] for e in sessions["data"]["sessions"]["edges"]],
        service_id=bookable[0]["id"] if slots else None,
        slots=slots,
        users=args.users,
        seconds=args.seconds,
        max_requests=args.max_requests,
        writes=args.writes,
    )
    return plan, (introspection, sorted(set(missing)))


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (what `uptime` shows)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def progress(message: str) -> None:
    """A line on stderr, so a long run shows where it is (the report goes to stdout)."""
    print(f"[bench_load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def fresh_database(cluster: PostgresCluster | None, name: str) -> Iterator[str]:
    """An empty database for one run: a new SQLite file, or database `name` on the `cluster`
    (which goes away with the whole benchmark)."""
    if cluster is None:
        with temporary_sqlite() as (url, _):
            yield url
    else:
        yield create_database(cluster.url, name)


def one_run(
    args: argparse.Namespace, workers: int, cluster: PostgresCluster | None, broadcast_url: str
) -> tuple[Run, Plan, list[str]]:
    size = DemoSize(clients=args.clients, entries=args.entries)
    with fresh_database(cluster, f"load_{workers}_workers") as url:
        progress(f"{workers} worker(s): seeding the demo practice")
        practice, _ = seed(url, size)
        if cluster:
            analyze(url)
        progress("starting uvicorn")
        env = {"QUERY_COST_LIMIT": str(args.cost_limit), "BROADCAST_URL": broadcast_url}
        with (
            uvicorn_server(url, workers=workers, **env) as server,
            httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as http,
        ):
            progress("logging in the coach and the clients")
            plan, (introspection, missing) = prepare(http, args, practice)
            progress(f"{args.users} users for {args.seconds:g} s")
            cpu = process_tree_cpu(server.process.pid)
            database_cpu = process_tree_cpu(cluster.pid) if cluster else 0.0
            outcome = run_load(plan, args.client_processes)
            server_cpu = process_tree_cpu(server.process.pid) - cpu
            if cluster:
                database_cpu = process_tree_cpu(cluster.pid) - database_cpu
            costly = None
            if workers == 1:
                progress("the worst query the cost limit lets through")
                schema = build_client_schema(introspection)
                costly = measure_costly(http, plan.coach_token, schema, args.cost_limit, size)
        progress("stopped")
    seconds = max(outcome.ended_at - plan.start_at, 1e-9)
    return Run(workers, outcome, seconds, server_cpu, database_cpu, costly), plan, missing


# ------------------------------------------------------------------ the report


def row_prefix(database: str) -> str:
    """`load` on SQLite (the rows issue 9 named), `load (PostgreSQL)` on PostgreSQL."""
    return "load" if database == "sqlite" else f"load ({ENGINE_NAMES[database]})"


def load_row(run: Run, users: int, database: str) -> str:
    s = run.samples
    workers = f"{run.workers} worker{'s' if run.workers > 1 else ''}"
    name = f"{row_prefix(database)}: {workers}, {users} users"
    return (
        f"| {name} | {run.throughput:.1f} | {percentile(s, 50):.1f} | {percentile(s, 95):.1f} | "
        f"{percentile(s, 99):.1f} | {run.errors} | - | 0 errors, p99 <= {P99_TARGET_MS:.0f} ms |"
    )


def report(runs: list[Run], plan: Plan, args: argparse.Namespace, missing: list[str]) -> None:
    print(
        f"bench_load: demo practice ({args.clients} clients x {args.entries} journal entries), "
        f"{args.users} virtual dashboard users for {args.seconds:g} s per run "
        f"(at most {args.max_requests:,} requests), {args.writes:.0%} writes, "
        f"{args.client_processes} load process(es), uvicorn on 127.0.0.1, "
        f"{ENGINE_NAMES[args.database]} (a fresh database per run), redis broadcast, "
        f"{os.cpu_count()} cores, load average {load_average()}"
    )
    print(f"pages: {', '.join(plan.pages)}; writes: journal entries, session notes, bookings")
    if missing:
        print(f"not in this schema yet, left out of the pages: {', '.join(missing)}")
    print()
    print(HEADER)
    prefix = row_prefix(args.database)
    for run in runs:
        print(load_row(run, args.users, args.database))
    by_workers = {run.workers: run for run in runs}
    if 1 in by_workers and 2 in by_workers:
        ratio = by_workers[2].throughput / by_workers[1].throughput
        print(
            f"| {prefix}: scaling, 2 workers / 1 worker | - | - | - | - | - | {ratio:.2f}x | "
            f">= {SCALING_TARGET[args.database]:g}x |"
        )
    if 1 in by_workers and args.database == "sqlite":
        ratio = by_workers[1].throughput / BEFORE_REQUESTS_PER_SECOND
        print(
            f"| {prefix}: 1 worker / the {BEFORE_REQUESTS_PER_SECOND} requests/s before "
            f"(issue 19: 200 users, 60 s) | {by_workers[1].throughput:.1f} | - | - | - | - | "
            f"{ratio:.2f}x | >= {BEFORE_TARGET:g}x |"
        )
    costly = next((run.costly for run in runs if run.costly), None)
    if costly:
        print()
        print("| benchmark | cost | limit | median ms | max ms | bytes | errors | target |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        print(
            f"| worst query the cost limit lets through (1 worker, idle) | {costly.cost} | "
            f"{costly.limit} | {statistics.median(costly.times_ms):.1f} | "
            f"{max(costly.times_ms):.1f} | {costly.size} | {len(costly.errors)} | "
            f"cost <= limit |"
        )
        print()
        print(
            f"cost estimated by the bench's rule (objects x page sizes, lists without `first` "
            f"count {ASSUMED_LIST_SIZE}); the server refused {costly.refused_by_server} larger "
            f"attempt(s) first; a query at 2x the limit: {costly.over_limit}"
        )
    for run in runs:
        print()
        print(f"by page, {run.workers} worker(s):")
        print("| page | requests | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, samples in sorted(run.outcome.latencies.items()):
            print(
                f"| {name} | {len(samples)} | {percentile(samples, 50):.1f} | "
                f"{percentile(samples, 95):.1f} | {percentile(samples, 99):.1f} | "
                f"{run.outcome.failed[name]} |"
            )
        client = run.outcome.cpu_seconds / run.seconds
        database = (
            f", PostgreSQL {run.database_cpu / run.seconds:.0%}" if args.database == "postgres"
            else ""
        )  # fmt: skip
        print(
            f"CPU over {run.seconds:.1f} s: load generator {client:.0%} of one core "
            f"({args.client_processes} process(es)), server {run.server_cpu / run.seconds:.0%}"
            f"{database}"
        )
        for kind, count in run.outcome.errors.most_common():
            print(f"errors: {kind}: {count} (first: {run.outcome.first_error[kind][:200]!r})")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--writes", type=float, default=0.1, help="share of writes (0..1)")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to run")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--clients", type=int, default=DemoSize().clients)
    parser.add_argument("--entries", type=int, default=DemoSize().entries)
    parser.add_argument("--cost-limit", type=int, default=5000)
    parser.add_argument("--database", choices=sorted(ENGINE_NAMES), default="sqlite")
    args = parser.parse_args()

    runs: list[Run] = []
    plan: Plan | None = None
    missing: list[str] = []
    postgres = throwaway_postgres() if args.database == "postgres" else nullcontext(None)
    with postgres as cluster, throwaway_redis() as broadcast_url:
        for workers in (int(w) for w in args.workers.split(",")):
            run, plan, missing = one_run(args, workers, cluster, broadcast_url)
            runs.append(run)
    assert plan is not None
    report(runs, plan, args, missing)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(bench_load took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
