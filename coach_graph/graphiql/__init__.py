"""GraphiQL, self-hosted: the page and every asset it loads ship in this package, so the IDE
works on a network without internet.

The vendored files (static/VERSIONS.json: package, version, sha256; refreshed by
scripts/vendor_graphiql) carry their version in their name, and our own page files get their
content hash in the URL: all are served as plain files with an ETag and a year of immutable
caching, with no work per request beyond StaticFiles' stat. The page itself is built once at
import and carries a strict Content-Security-Policy: scripts, styles and connections from this
origin only (GraphiQL's CSS embeds its fonts and icons as data: URLs), and no framing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HERE = Path(__file__).parent
STATIC = HERE / "static"
PREFIX = "/graphiql"
IMMUTABLE = "public, max-age=31536000, immutable"
# Our own files, loaded after the vendored ones (the bootstrap needs React and GraphiQL).
PAGE_FILES = ("graphiql-page.css", "graphiql-page.js")

# 'self' covers same-origin ws:/wss: too (CSP level 3). React and GraphiQL set style attributes
# and add <style> elements at run time, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ImmutableFiles(StaticFiles):
    """StaticFiles (ETag, Last-Modified, 304 on If-None-Match) with a year of caching: every URL
    it serves changes when its content does."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def vendored() -> list[dict[str, str]]:
    """The vendored assets as recorded in static/VERSIONS.json, in load order."""
    assets: list[dict[str, str]] = json.loads((STATIC / "VERSIONS.json").read_text())
    return assets


def asset_urls() -> list[str]:
    """Every URL the page loads, in order: vendored files by their versioned name, our own with
    their content hash."""
    urls = [f"{PREFIX}/{asset['file']}" for asset in vendored()]
    for name in PAGE_FILES:
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:16]
        urls.append(f"{PREFIX}/{name}?v={digest}")
    return urls


def _page() -> bytes:
    urls = [(url, url.split("?")[0].rsplit(".", 1)[-1]) for url in asset_urls()]
    styles = "\n".join(f'    <link rel="stylesheet" href="{u}">' for u, ext in urls if ext == "css")
    scripts = "\n".join(f'    <script src="{u}"></script>' for u, ext in urls if ext == "js")
    template = (HERE / "page.html").read_text()
    return template.replace("{stylesheets}", styles).replace("{scripts}", scripts).encode()


PAGE = _page()


def page_response() -> Response:
    """The GraphiQL page: the same bytes every time, revalidated so a new release's asset URLs
    reach the browser."""
    return HTMLResponse(
        PAGE,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
    )


def asset_routes() -> Mount:
    """The route that serves the page's assets under /graphiql/."""
    return Mount(PREFIX, app=ImmutableFiles(directory=STATIC), name="graphiql")
