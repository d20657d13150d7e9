"""Benchmark: the webhook sender drains 1,000 queued deliveries to a local HTTPS receiver.

A fresh temporary SQLite database with a small demo practice; one endpoint of the demo coach
at https://127.0.0.1:<port>/hook (a certificate from a throwaway CA made now, trusted through
SSL_CERT_FILE as in production) and 1,000 deliveries queued for it. ONE WebhookSender (HTTPS
keep-alive connections, Standard Webhooks signatures, every attempt's outcome recorded) drains
them into uvicorn in a process of its own, which counts the distinct `webhook-id`s it receives.
Every delivery must be DELIVERED and received once. Target: >= 200 deliveries/s.

Run alone: .venv/bin/python scripts/benchmarks/bench_webhooks.py [count]
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa
import trustme
from common import seed, temporary_sqlite

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.demo.practice import DemoSize
from coach_graph.webhooks.delivery.sender import WebhookSender, pending_count
from coach_graph.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from coach_graph.webhooks.queue import RETRY_FOR, body_of, new_message_id
from coach_graph.webhooks.service import new_secret

TARGET_PER_SECOND = 200.0


def serve(port: int, cert: str, key: str) -> None:
    """The receiver's process: uvicorn over TLS on 127.0.0.1:port answering 204 and counting
    webhook-ids; answers "count" on stdin with the requests and distinct ids, then exits."""
    import threading

    import uvicorn

    received: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        ids = [v for k, v in scope["headers"] if k == b"webhook-id"]
        received.append(ids[0].decode() if ids else "")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ssl_certfile=cert, ssl_keyfile=key, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(f"{len(received)} {len(set(received))}", flush=True)
            break
    server.should_exit = True
    thread.join(timeout=10)


async def queue(db: Database, url: str, count: int) -> None:
    async with db.transaction() as session:
        coach_id = await session.scalar(
            sa.text("SELECT min(id) FROM user_account WHERE role = 'COACH'")
        )
        endpoint = WebhookEndpoint(
            coach_id=coach_id, url=url, events="MESSAGE_RECEIVED", secret=new_secret()
        )
        session.add(endpoint)
        await session.flush()
        now = clock.now()
        values = [
            {
                "message_id": new_message_id(),
                "endpoint_id": endpoint.id,
                "event": WebhookEvent.MESSAGE_RECEIVED.name,
                "body": body_of(
                    WebhookEvent.MESSAGE_RECEIVED, {"messageId": str(i), "coachId": str(coach_id)}
                ),
                "status": "PENDING",
                "attempts": 0,
                "created_at": now,
                "retry_until": now + RETRY_FOR,
                "next_attempt_at": now,
            }
            for i in range(count)
        ]
        await session.execute(sa.insert(WebhookDelivery), values)


async def run(database_url: str, count: int, folder: Path) -> tuple[float, int, int]:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key, bundle = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(bundle))
    os.environ["SSL_CERT_FILE"] = str(bundle)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The receiver is another process: it must not share this one's interpreter lock.
    server = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
        [sys.executable, __file__, "serve", str(port), str(cert), str(key)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    db = Database(database_url)
    try:
        assert server.stdout.readline().strip() == "ready"
        await queue(db, f"https://127.0.0.1:{port}/hook", count)
        async with WebhookSender(db, allow_private=True) as sender:
            started = time.perf_counter()
            report = await sender.drain()
            seconds = time.perf_counter() - started
        assert report.failed == 0, report
        assert await pending_count(db) == 0
        server.stdin.write("count\n")
        server.stdin.flush()
        received, distinct = (int(n) for n in server.stdout.readline().split())
        assert received == distinct, (received, distinct)
    finally:
        await db.dispose()
        server.stdin.close()
        server.wait(timeout=30)
    return seconds, report.delivered, distinct


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    with temporary_sqlite() as (url, _path), tempfile.TemporaryDirectory() as folder:
        seed(url, DemoSize(clients=5, entries=0, second_coach_clients=0, sessions=4))
        seconds, delivered, received = asyncio.run(run(url, count, Path(folder)))
    rate = delivered / seconds
    print("| benchmark | deliveries | seconds | deliveries/s | target |")
    print("|---|---:|---:|---:|---|")
    verdict = "ok" if rate >= TARGET_PER_SECOND and received == delivered == count else "MISSED"
    print(
        f"| webhook drain, 1 sender, HTTPS to uvicorn | {delivered} (received {received} "
        f"distinct) | {seconds:.1f} | {rate:.0f} | >= {TARGET_PER_SECOND:.0f}/s {verdict} |"
    )
    if verdict != "ok":
        sys.exit(1)


if __name__ == "__main__":
    main()
