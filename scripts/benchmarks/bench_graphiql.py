"""Issue 13's rule for GraphiQL: serving the IDE must not slow the API. Against a real uvicorn
with GRAPHIQL on, a trivial query next to the same query on a server with GRAPHIQL off (the
floor); and what the IDE itself costs: the page (constant bytes), an asset's revalidation (304)
and a full download of GraphiQL's 3.5 MB bundle (static files, no work per request but a stat).

    .venv/bin/python scripts/benchmarks/bench_graphiql.py [--runs 200]
"""

from __future__ import annotations

import argparse

import httpx
from common import HEADER, row, temporary_sqlite, time_ms, uvicorn_server

from coach_graph.graphiql import asset_urls

TRIVIAL = {"query": "{ __typename }"}
BROWSER = {"Accept": "text/html"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    bundle = next(u for u in asset_urls() if u.startswith("/graphiql/graphiql@"))
    floor: list[float] = []
    query: list[float] = []
    with (
        temporary_sqlite() as (url, _),
        uvicorn_server(url, GRAPHIQL="false") as off,
        uvicorn_server(url) as on,
        httpx.Client(base_url=off.base_url) as bare,
        httpx.Client(base_url=on.base_url) as http,
    ):
        # Five interleaved rounds, so drift on the shared machine hits both sides alike.
        for _ in range(5):
            floor += time_ms(lambda: bare.post("/graphql", json=TRIVIAL).raise_for_status(), runs)
            query += time_ms(lambda: http.post("/graphql", json=TRIVIAL).raise_for_status(), runs)
        page = time_ms(lambda: http.get("/graphql", headers=BROWSER).raise_for_status(), runs)
        etag = http.get(bundle).headers["etag"]

        def revalidate() -> None:
            assert http.get(bundle, headers={"If-None-Match": etag}).status_code == 304

        not_modified = time_ms(revalidate, runs)
        download = time_ms(lambda: http.get(bundle).raise_for_status(), max(10, runs // 10))
    print(HEADER)
    print(row("trivial query, GRAPHIQL on (floor: off)", query, floor, "<= 1.05x"))
    print(row("GraphiQL page", page, None, "constant bytes"))
    print(row("graphiql bundle, 304 revalidation", not_modified, None, "static"))
    print(row("graphiql bundle, full download (3.5 MB)", download, None, "static, once a year"))


if __name__ == "__main__":
    main()
