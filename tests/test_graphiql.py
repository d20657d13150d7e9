"""The self-hosted GraphiQL page through the ASGI app: its Content-Security-Policy, its assets'
caching, and the GRAPHIQL and INTROSPECTION switches. (tests/e2e/test_graphiql_browser.py runs
the page in a real browser.)"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette

from coach_graph.app import create_app
from coach_graph.config import Settings
from coach_graph.graphiql import STATIC, asset_urls, vendored

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
IMMUTABLE = "public, max-age=31536000, immutable"


@asynccontextmanager
async def client_of(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: Starlette = create_app(settings, jobs=[])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: values for name, *values in parts}


async def test_the_page_carries_a_strict_content_security_policy(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = directives(response.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["font-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]


async def test_the_page_loads_only_its_own_assets_and_has_no_inline_script(
    http: httpx.AsyncClient,
) -> None:
    page = (await http.get("/graphql", headers=BROWSER)).text
    assert "Loading..." in page
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sorted(sources) == sorted(["data:,", *asset_urls()])
    assert all(s.startswith("/graphiql/") for s in sources if s != "data:,")
    # Every <script> element loads a file: nothing inline for the CSP to allow.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "//" not in page.replace("<!doctype html>", "")


async def test_assets_are_served_with_an_etag_and_a_year_of_immutable_caching(
    http: httpx.AsyncClient,
) -> None:
    urls = asset_urls()
    assert len(urls) == 6 + 2  # GraphiQL, React, ReactDOM, the explorer (js + css), our page
    for url in urls:
        response = await http.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["etag"]
        kind = "text/css" if url.split("?")[0].endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(kind), response.headers
        assert response.content == (STATIC / url.split("?")[0].rsplit("/", 1)[1]).read_bytes()


async def test_an_asset_answers_304_to_its_etag(http: httpx.AsyncClient) -> None:
    url = asset_urls()[0]
    first = await http.get(url)
    again = await http.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == IMMUTABLE
    changed = await http.get(url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


async def test_many_browsers_load_the_assets_at_once(http: httpx.AsyncClient) -> None:
    urls = asset_urls() * 5
    responses = await asyncio.gather(*(http.get(url) for url in urls))
    assert [r.status_code for r in responses] == [200] * len(urls)
    etags: dict[str, set[str]] = {}
    for url, response in zip(urls, responses, strict=True):
        etags.setdefault(url, set()).add(response.headers["etag"])
    assert all(len(tags) == 1 for tags in etags.values())


def test_vendored_files_match_their_recorded_versions_and_checksums() -> None:
    assets = vendored()
    pinned = {(a["package"], a["version"]) for a in assets}
    assert pinned == {
        ("react", "18.2.0"),
        ("react-dom", "18.2.0"),
        ("graphiql", "3.8.3"),
        ("@graphiql/plugin-explorer", "1.0.2"),
    }
    for asset in assets:
        content = (STATIC / asset["file"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == asset["sha256"], asset["file"]
    # Nothing in the stylesheets reaches for another host (fonts and icons are data: URLs).
    for css in STATIC.glob("*.css"):
        assert re.findall(r"url\(\s*['\"]?(?:https?:)?//", css.read_text()) == [], css


async def test_graphiql_off_answers_a_browser_404_and_serves_no_assets(settings: Settings) -> None:
    async with client_of(settings.with_(graphiql=False)) as http:
        page = await http.get("/graphql", headers=BROWSER)
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        assert (await http.get(asset_urls()[0])).status_code == 404
        # The API itself still answers, over POST and GET.
        posted = await http.post("/graphql", json={"query": "{ __typename }"})
        assert posted.json() == {"data": {"__typename": "Query"}}
        got = await http.get("/graphql", params={"query": "{ __typename }"}, headers=BROWSER)
        assert got.json() == {"data": {"__typename": "Query"}}


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_off_refuses_introspection_queries(settings: Settings) -> None:
    async with client_of(settings.with_(introspection=False)) as http:
        for query in (INTROSPECTION, '{ __type(name: "Query") { name } }'):
            body = (await http.post("/graphql", json={"query": query})).json()
            assert body.get("data") is None, body
            assert body["errors"], body
            for error in body["errors"]:  # one per introspection field
                assert error["extensions"]["code"] == "BAD_USER_INPUT"
                assert "introspection has been disabled" in error["message"]
        # Ordinary queries (and __typename) still run.
        body = (await http.post("/graphql", json={"query": "{ __typename }"})).json()
        assert body == {"data": {"__typename": "Query"}}


async def test_introspection_is_on_by_default(http: httpx.AsyncClient) -> None:
    body = (await http.post("/graphql", json={"query": INTROSPECTION})).json()
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_graphiql_and_introspection_settings_read_from_the_environment() -> None:
    assert Settings.from_env({}).graphiql is True
    assert Settings.from_env({}).introspection is True
    off = Settings.from_env({"GRAPHIQL": "false", "INTROSPECTION": "0"})
    assert (off.graphiql, off.introspection) == (False, False)
    on = Settings.from_env({"GRAPHIQL": "true", "INTROSPECTION": "1"})
    assert (on.graphiql, on.introspection) == (True, True)
