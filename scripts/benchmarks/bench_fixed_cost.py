"""Issue 14 item 2: the fixed cost of a GraphQL request through uvicorn.

One uvicorn process serves the app with one extra route, `POST /bare`: a bare starlette endpoint
reading the JSON body and answering the JSON a trivial query answers (`{"data": {"viewer":
{"id": ...}}}`), behind the same middleware. Over one keep-alive connection the bench alternates
the bare endpoint and the authenticated query `{ viewer { id } }` (POST /graphql), both sent
the same body and bearer token, `--rounds`
rounds of `--pairs` pairs each. Reported: the median of each, and the median extra cost of the
query (per round: median query - median bare; then median and spread over rounds).
Target (issue 19): <= 0.3 ms above the bare endpoint.

    .venv/bin/python scripts/benchmarks/bench_fixed_cost.py [--rounds 7] [--pairs 400]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import httpx
from common import graphql, seed, temporary_sqlite, uvicorn_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coach_graph.app import create_app
from coach_graph.demo.people import DEMO_COACH_EMAIL, DEMO_PASSWORD
from coach_graph.demo.practice import DemoSize

TRIVIAL = "{ viewer { id } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
TARGET_MS = 0.3


def app_with_bare_endpoint() -> Starlette:
    """The app (as `coach_graph.app:create_app` builds it) plus the bare route, first in line."""
    app = create_app()

    async def bare(request: Request) -> Response:
        await request.json()
        return JSONResponse({"data": {"viewer": {"id": "1"}}})

    app.router.routes.insert(0, Route("/bare", bare, methods=["POST"]))
    return app


def measure(http: httpx.Client, token: str, pairs: int) -> tuple[list[float], list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": TRIVIAL}
    bare, query = [], []
    content = json.dumps(body).encode()
    headers["Content-Type"] = "application/json"
    for _ in range(pairs):
        started = time.perf_counter()
        r = http.post("/bare", content=content, headers=headers)
        bare.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200
        started = time.perf_counter()
        q = http.post("/graphql", content=content, headers=headers)
        query.append((time.perf_counter() - started) * 1000)
        assert q.status_code == 200 and "errors" not in q.json(), q.text
    return bare, query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=400)
    args = parser.parse_args()
    with temporary_sqlite() as (url, _):
        seed(url, DemoSize(clients=5, entries=2))
        with (
            uvicorn_server(url, app="bench_fixed_cost:app_with_bare_endpoint") as server,
            httpx.Client(base_url=server.base_url, timeout=30) as http,
        ):
            login = graphql(http, LOGIN, {"e": DEMO_COACH_EMAIL, "p": DEMO_PASSWORD})
            token = login["data"]["login"]["token"]
            measure(http, token, 200)  # warm-up: caches, connection
            rounds = [measure(http, token, args.pairs) for _ in range(args.rounds)]
    bare = [statistics.median(b) for b, _ in rounds]
    query = [statistics.median(q) for _, q in rounds]
    extra = [q - b for b, q in zip(bare, query, strict=True)]
    spread = f"{min(extra):.3f}..{max(extra):.3f}"
    print(
        f"bench_fixed_cost: {args.rounds} rounds x {args.pairs} interleaved pairs over one "
        "keep-alive connection, one uvicorn worker, SQLite file"
    )
    print()
    print("| benchmark | bare median ms | query median ms | extra ms (median) | spread | target |")
    print("|---|---:|---:|---:|---|---|")
    print(
        f"| fixed cost of `{TRIVIAL}` (authenticated) | {statistics.median(bare):.3f} | "
        f"{statistics.median(query):.3f} | {statistics.median(extra):.3f} | {spread} | "
        f"<= {TARGET_MS} ms |"
    )


if __name__ == "__main__":
    main()
