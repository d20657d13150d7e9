"""Calendar feed benchmark (issue 21): `GET /calendar/<secret>.ics` of a coach with 2,000
sessions in the feed's window (90 days back to 365 ahead, over 40 clients), against a trivial
GraphQL request (`{ viewer { id } }`, POST /graphql with the coach's bearer token), both on the
same uvicorn over the same keep-alive connection, interleaved. The feed is fetched whole
(200, no If-None-Match) each time; its first fetch, which builds every event, is reported on its
own line. Target: under 10x the trivial request.

    .venv/bin/python scripts/benchmarks/bench_calendar.py [--sessions 2000] [--runs 40]
        [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from datetime import timedelta

import httpx
import icalendar
import sqlalchemy as sa
from common import HTTP_FLOOR_HEADER, interleaved, p95, ratio_row, temporary_sqlite, uvicorn_server

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.accounts.service import add_user
from coach_graph.auth import Passwords, issue_token
from coach_graph.calendar_feed.service import WINDOW_AHEAD, WINDOW_BACK, create_calendar_feed
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import acting_as
from coach_graph.sessions.models import CoachingService, CoachingSession, SessionStatus

TARGET = 10.0
CLIENTS = 40


async def seed(url: str, sessions: int) -> tuple[str, str]:
    """A coach with `sessions` sessions spread over the feed's window; (bearer token, secret)."""
    db = Database(url)
    try:
        await db.migrate()
        settings = Settings(database_url=url)
        coach = await add_user(
            db, Passwords(time_cost=1, memory_kib=1024), role=Role.COACH,
            email="bench-coach@example.test", password="bench-password", name="Bench Coach",
            settings=settings,
        )  # fmt: skip
        assert coach.id is not None
        now = clock.now()
        async with db.transaction() as session:
            service_id = await session.scalar(
                sa.select(CoachingService.id).where(CoachingService.duration_minutes == 60)  # type: ignore[arg-type]
            )
            await session.execute(
                sa.insert(User),
                [
                    {"role": Role.CLIENT.value, "email": f"client{i}@bench.example",
                     "name": f"Client {i}", "password_hash": "-", "time_zone": "UTC",
                     "is_premium": False, "created_at": now}
                    for i in range(CLIENTS)
                ],
            )  # fmt: skip
            client_ids = list(
                (
                    await session.scalars(
                        sa.select(User.id).where(User.role == Role.CLIENT.value)  # type: ignore[arg-type]
                    )
                ).all()
            )
            await session.execute(
                sa.insert(CoachClient),
                [
                    {"coach_id": coach.id, "client_id": cid, "linked_at": now,
                     "consent": ConsentStatus.GRANTED.value, "consent_updated_at": now}
                    for cid in client_ids
                ],
            )  # fmt: skip
            first = now - WINDOW_BACK + timedelta(hours=1)
            step = (WINDOW_BACK + WINDOW_AHEAD - timedelta(hours=2)) / sessions
            rows = []
            for i in range(sessions):
                starts = first + step * i
                status = SessionStatus.COMPLETED if starts < now else SessionStatus.CONFIRMED
                rows.append(
                    {"coach_id": coach.id, "client_id": client_ids[i % CLIENTS],
                     "service_id": service_id, "starts_at": starts,
                     "ends_at": starts + timedelta(minutes=60), "duration_minutes": 60,
                     "status": status.value, "customer_notes": "Notes " * (i % 5) or None,
                     "price_minor": 9000, "currency": "EUR", "created_at": now,
                     "scheduled_at": now, "invite_sequence": i % 3,
                     "meeting_room": secrets.token_urlsafe(16), "fee_minor": 0,
                     "late_cancellation": False, "self_booked": False}
                )  # fmt: skip
            await session.execute(sa.insert(CoachingSession), rows)
        token, _ = await issue_token(db, coach.id, settings.token_ttl)
        feed = await create_calendar_feed(db, await acting_as(db, coach.id))
        return token, feed.secret
    finally:
        await db.dispose()


def main(sessions: int, runs: int, rounds: int) -> None:
    with temporary_sqlite() as (url, _):
        token, secret = asyncio.run(seed(url, sessions))
        headers = {"Authorization": f"Bearer {token}"}
        with (
            uvicorn_server(url) as server,
            httpx.Client(base_url=server.base_url, headers=headers) as http,
        ):
            path = f"/calendar/{secret}.ics"
            started = time.perf_counter()
            first = http.get(path)
            cold_ms = (time.perf_counter() - started) * 1000
            assert first.status_code == 200, first.text
            events = icalendar.Calendar.from_ical(first.content).walk("VEVENT")
            assert len(events) == sessions, len(events)

            def feed() -> None:
                assert http.get(path).status_code == 200

            def trivial() -> None:
                body = http.post("/graphql", json={"query": "{ viewer { id } }"}).json()
                assert not body.get("errors"), body

            s = interleaved({"feed": feed, "trivial": trivial}, runs, rounds)
    print(f"A coach with {sessions} sessions in the feed's window ({len(first.content):,} bytes); "
          f"{rounds} rounds x {runs} interleaved runs, one uvicorn on 127.0.0.1, one keep-alive "
          "connection, SQLite.\n")  # fmt: skip
    print(HTTP_FLOOR_HEADER)
    every = [x for r in s["trivial"] for x in r]
    print(f"| request baseline: {{ viewer {{ id }} }} | {statistics.median(every):.2f} | "
          f"{p95(every):.2f} | - | - | - | - |")  # fmt: skip
    print(f"| calendar feed, first fetch (every event built) | {cold_ms:.2f} | - | - | - | - | - |")
    print(ratio_row(f"calendar feed ({sessions} sessions) vs {{ viewer {{ id }} }}", s["feed"],
                    s["trivial"], TARGET))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    main(args.sessions, args.runs, args.rounds)
