"""Benchmark: the outbox sender drains 10,000 queued mails into a local SMTP server.

A fresh temporary SQLite database with the demo practice; 10,000 outbox messages about its
sessions (moves, cancellations, reminders, bookings: each mail loads its session and people,
is composed as text + HTML + an iCalendar part) are drained by ONE SmtpSender (one connection
per batch of 200) into aiosmtpd on 127.0.0.1 in a process of its own, which counts the distinct
Message-IDs it receives. Every message
must be marked sent and every mail received once. Target: >= 200 mails/s.

Run alone: .venv/bin/python scripts/benchmarks/bench_mail.py [count]
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from common import seed, temporary_sqlite  # noqa: E402
from coach_graph.db import Database  # noqa: E402
from coach_graph.demo.practice import DemoSize  # noqa: E402
from coach_graph.mail.compose import Letterhead  # noqa: E402
from coach_graph.mail.server import SmtpServer, parse_mail_from  # noqa: E402
from coach_graph.mail.smtp import SmtpSender  # noqa: E402
from coach_graph.outbox.models import MessageKind, OutboxMessage  # noqa: E402
from coach_graph.outbox.service import drain  # noqa: E402
from coach_graph.outbox.status import outbox_counts  # noqa: E402
from coach_graph.sessions.models import CoachingSession  # noqa: E402

TARGET_PER_SECOND = 200.0
KINDS = [
    MessageKind.SESSION_RESCHEDULED,
    MessageKind.SESSION_CANCELLED,
    MessageKind.REMINDER_24H,
    MessageKind.SESSION_BOOKED,
]


class Counter:
    def __init__(self) -> None:
        self.received = 0
        self.message_ids: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        for line in envelope.content.split(b"\r\n", 40):
            if line.lower().startswith(b"message-id:"):
                self.message_ids.add(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


async def queue(db: Database, count: int) -> None:
    async with db.transaction() as session:
        rows = (
            await session.execute(
                sa.select(CoachingSession.id, CoachingSession.client_id).where(  # type: ignore[call-overload]
                    CoachingSession.client_id.is_not(None)  # type: ignore[union-attr]
                )
            )
        ).all()
        values = [
            {
                "recipient_id": rows[i % len(rows)][1],
                "session_id": rows[i % len(rows)][0],
                "kind": KINDS[i % len(KINDS)].value,
                "payload": {"reason": "bench <&>", "previous_starts_at": None},
                "attempts": 0,
            }
            for i in range(count)
        ]
        await session.execute(sa.insert(OutboxMessage), values)


def serve(port: int) -> None:
    """The SMTP server's process: aiosmtpd on 127.0.0.1:port; answers "count" on stdin with the
    number of mails and of distinct Message-IDs received, then exits."""
    sink = Counter()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(f"{sink.received} {len(sink.message_ids)}", flush=True)
            break
    controller.stop()


async def run(database_url: str, count: int) -> tuple[float, int, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A mail server is another process: it must not share this one's interpreter lock.
    server = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
        [sys.executable, __file__, "serve", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    db = Database(database_url)
    try:
        assert server.stdout.readline().strip() == "ready"
        await queue(db, count)
        sender = SmtpSender(
            db,
            SmtpServer("127.0.0.1", port),
            Letterhead(parse_mail_from("Bench Practice <no-reply@bench.test>"), "Bench Practice"),
            meeting_url_template="https://meet.bench.test/{room}",
        )
        started = time.perf_counter()
        report = await drain(db, sender)
        seconds = time.perf_counter() - started
        assert report.failed == 0, report
        assert (await outbox_counts(db)).pending == 0
        server.stdin.write("count\n")
        server.stdin.flush()
        received, distinct = (int(n) for n in server.stdout.readline().split())
        assert received == distinct, (received, distinct)
    finally:
        await db.dispose()
        server.stdin.close()
        server.wait(timeout=30)
    return seconds, report.sent, distinct


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with temporary_sqlite() as (url, _path):
        seed(url, DemoSize(clients=10, entries=0, second_coach_clients=0, sessions=12))
        seconds, sent, received = asyncio.run(run(url, count))
    rate = sent / seconds
    print("| benchmark | mails | seconds | mails/s | target |")
    print("|---|---:|---:|---:|---|")
    verdict = "ok" if rate >= TARGET_PER_SECOND and received == sent == count else "MISSED"
    print(
        f"| outbox drain, 1 sender, SMTP to aiosmtpd | {sent} (received {received} distinct) "
        f"| {seconds:.1f} | {rate:.0f} | >= {TARGET_PER_SECOND:.0f}/s {verdict} |"
    )
    if verdict != "ok":
        sys.exit(1)


if __name__ == "__main__":
    main()
