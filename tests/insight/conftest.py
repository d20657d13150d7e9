"""A small fake OpenAI-compatible chat-completions endpoint on 127.0.0.1, with failure modes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

GOOD_ENTRY = {
    "sentiment": "POSITIVE",
    "sentiment_score": 0.8,
    "summary": "The client had a good day with family.",
    "themes": ["Family", "gratitude"],
    "emotions": {
        "joy": 0.9, "trust": 0.6, "fear": 0.0, "surprise": 0.1,
        "sadness": 0.0, "disgust": 0.0, "anger": 0.0, "anticipation": 0.3,
    },
}  # fmt: skip


class FakeProvider:
    """Answers according to `mode`: good, garbage, invalid (well-formed JSON, wrong values),
    error (HTTP 500) or hang (never answers until the test ends)."""

    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._release = asyncio.Event()

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "body": body})
        if self.mode == "hang":
            await self._release.wait()
            return Response(status_code=504)
        if self.mode == "error":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if self.mode == "garbage":
            content = "Sure! Here is the analysis you wanted: it was a nice day."
        elif self.mode == "invalid":
            content = json.dumps({**GOOD_ENTRY, "sentiment_score": 7, "themes": []})
        elif body["response_format"]["json_schema"]["name"] == "journal_summary":
            content = json.dumps({"summary": "Provider summary of the period."})
        else:
            content = json.dumps(GOOD_ENTRY)
        return JSONResponse({"choices": [{"message": {"role": "assistant", "content": content}}]})


@pytest.fixture
async def fake_provider() -> AsyncIterator[FakeProvider]:
    fake = FakeProvider()
    app = Starlette(routes=[Route("/v1/chat/completions", fake.completions, methods=["POST"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # bounded wait for the socket
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}/v1/chat/completions"
    try:
        yield fake
    finally:
        fake._release.set()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
