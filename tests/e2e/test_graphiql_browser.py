"""GraphiQL in a real headless Chromium, air-gapped: the page and its assets come from the
running uvicorn on 127.0.0.1 only (every other host name fails to resolve), the editor renders,
a query with a token from the Headers pane runs, and the result pane shows the data. Chromium is
driven over the DevTools protocol; scripts/test installs it from Debian (scripts/_chromium.sh)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
import websockets
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coach_graph.app import create_app
from coach_graph.config import Settings
from coach_graph.graphiql import asset_urls
from tests.conftest import EXTERNAL_DB, Practice, _truncate
from tests.ws import until

CHROMIUM = (
    os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (scripts/test installs it: scripts/_chromium.sh)",
    ),
]


class Served:
    """ASGI wrapper recording every request the server answered: client address, path, status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "?"
        query = scope["query_string"].decode()
        path = scope["path"] + (f"?{query}" if query else "")
        method = scope.get("method", "WS")

        async def recording(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                self.requests.append((client, method, path, status))
            await send(message)

        await self.app(scope, receive, recording)


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Real uvicorn on 127.0.0.1, a free port; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, within=20)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@contextmanager
def chromium(profile: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Headless Chromium with DevTools on a free port and no network beyond 127.0.0.1."""
    assert CHROMIUM is not None
    log = (profile.parent / "chromium.log").open("wb")
    process = subprocess.Popen(
        [
            CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--metrics-recording-only", "--disable-dev-shm-usage",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class DevTools:
    """One page's DevTools protocol session: commands and the events that arrive meanwhile."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is not None:
                future.set_result(message)
            else:
                self.events.append(message)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[call] = future
        await self.ws.send(json.dumps({"id": call, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, 30)
        assert "error" not in reply, reply
        result: dict[str, Any] = reply["result"]
        return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def wait_for(self, expression: str, within: float = 90.0) -> Any:
        """Poll the page until `expression` is truthy (the browser works on its own time)."""
        for _ in range(int(within / 0.1)):
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"{expression!r} never became true")

    def of(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e.get("method") == method]

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


@asynccontextmanager
async def devtools(profile: Path, browser: subprocess.Popen[bytes]) -> AsyncIterator[DevTools]:
    """Attach to the page Chromium opened (its DevTools port is written into the profile)."""
    active_port = profile / "DevToolsActivePort"

    def started() -> bool:
        if browser.poll() is not None:  # it died: say why instead of waiting out the bound
            log = (profile.parent / "chromium.log").read_text(errors="replace")
            raise AssertionError(f"chromium exited with {browser.returncode}:\n{log[-3000:]}")
        return active_port.exists() and bool(active_port.read_text())

    # A cold start on a busy 2-core machine can take a while; the bound only stops a hang.
    await until(started, within=90)
    port = active_port.read_text().split()[0]
    async with httpx.AsyncClient() as http:
        targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
    page = next(t for t in targets if t["type"] == "page")
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
        session = DevTools(ws)
        try:
            yield session
        finally:
            await session.close()


# Collects Content-Security-Policy violations from the page's first script on.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""

# The same-origin websocket GraphiQL would use for subscriptions, under the page's CSP.
OPEN_SOCKET = """
new Promise((resolve) => {
  const url = location.href.split("?")[0].replace(/^http/, "ws");
  const ws = new WebSocket(url, "graphql-transport-ws");
  ws.onopen = () => { ws.close(); resolve("open"); };
  ws.onerror = () => resolve("error");
})
"""


def click(label: str) -> str:
    return f"document.querySelector('[aria-label=\"{label}\"]').click()"


RUN_UNTIL_ANSWERED = """(() => {
  const answer = [...document.querySelectorAll('.graphiql-response')]
    .map((pane) => pane.innerText).find((text) => text.includes('Ada Lovelace'));
  if (!answer && Date.now() - (window.__pressedAt || 0) > 2000) {
    window.__pressedAt = Date.now();
    document.querySelector('.graphiql-execute-button').click();
  }
  return answer;
})()"""


async def test_graphiql_runs_a_query_in_headless_chromium_with_no_network_but_the_server(
    settings: Settings, tmp_path: Path
) -> None:
    app = create_app(settings, jobs=[])
    served = Served(app)
    async with serve(served) as base:
        if EXTERNAL_DB:  # the suite's shared PostgreSQL: start from empty tables
            await _truncate(app.state.resources.db)
        practice = Practice(app.state.resources)
        coach = await practice.coach("Ada Lovelace")
        token = await practice.token(coach)
        page_url = f"{base}/graphql?" + urlencode(
            {
                "q": "query Me { viewer { name role } }",
                "headers": json.dumps({"Authorization": f"Bearer {token}"}),
            }
        )
        profile = tmp_path / "chromium-profile"
        with chromium(profile) as browser:
            async with devtools(profile, browser) as page:
                for domain in ("Page", "Network", "Runtime", "Log"):
                    await page.send(f"{domain}.enable")
                await page.send("Page.addScriptToEvaluateOnNewDocument", source=RECORD_VIOLATIONS)
                await page.send("Page.navigate", url=page_url)

                # The editor rendered (strawberry's placeholder said "Loading..." until then).
                await page.wait_for("document.querySelector('.graphiql-execute-button') !== null")
                # Run the query as a person would: press the button, and press it again if the
                # editor had not taken the query or the token from the URL yet when it was first
                # pressed (a cold page on a busy machine), at most every two seconds.
                result = await page.wait_for(RUN_UNTIL_ANSWERED)
                # The result pane shows the JSON answer (CodeMirror renders spaces as U+00A0).
                assert json.loads(result.replace("\xa0", " ")) == {
                    "data": {"viewer": {"name": "Ada Lovelace", "role": "COACH"}}
                }
                assert await page.evaluate(OPEN_SOCKET) == "open"
                # The explorer plugin opens, and so does a dialog (it adds a <style> element:
                # why the CSP allows inline styles, never inline scripts).
                await page.evaluate(click("Show GraphiQL Explorer"))
                await page.wait_for("document.querySelector('.graphiql-explorer-root') !== null")
                await page.evaluate(click("Open settings dialog"))
                await page.wait_for("document.querySelector('[role=dialog]') !== null")
                violations = await page.evaluate("window.__violations")
                requested = [r["request"]["url"] for r in page.of("Network.requestWillBeSent")]
                exceptions = page.of("Runtime.exceptionThrown")

    assert violations == [], violations
    assert exceptions == [], exceptions
    # The browser asked nothing of any other host.
    assert requested, "no request recorded"
    foreign = [u for u in requested if not u.startswith((base, "data:"))]
    assert foreign == [], foreign
    # And the server saw every asset requested from 127.0.0.1, and the query with its token.
    assert {client for client, *_ in served.requests} == {"127.0.0.1"}
    answered = {(method, path): status for _, method, path, status in served.requests}
    for url in asset_urls():
        assert answered.get(("GET", url)) == 200, (url, served.requests)
    assert answered.get(("POST", "/graphql")) == 200
    assert ("GET", page_url.removeprefix(base)) in answered
