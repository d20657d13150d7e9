"""Benchmark of the client graph's reads: the My Clients page columns (activity, homework badge)
and one client's Homework, Surveys and Timeline tabs, through the whole app over in-process HTTP,
against a floor of the same rows read with hand-written SQL through sqlite3 and encoded to JSON.

Runs alone: `.venv/bin/python scripts/benchmarks/bench_client_graph.py [--clients N]
[--entries N] [--runs N]`. Seeds its own fresh temporary SQLite database, is bounded by the
fixed number of runs, and prints one markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from coach_graph.app import create_app
from coach_graph.auth import issue_token
from coach_graph.config import Settings
from coach_graph.db import Database

NOW = datetime.now(UTC).replace(microsecond=0)


def ts(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(path: Path, clients: int, entries: int) -> tuple[int, int]:
    """A coach with `clients` GRANTED clients, each with `entries` journal entries, 10
    assignments and 5 survey submissions. Returns (coach id, the detail client's id)."""
    con = sqlite3.connect(path)
    cur = con.cursor()
    now = ts(NOW)
    cur.execute(
        "INSERT INTO user_account (role, email, name, password_hash, time_zone, is_premium,"
        " created_at) VALUES ('COACH', 'coach@bench.test', 'Bench Coach', '-', 'Europe/Paris',"
        " 0, ?)",
        (now,),
    )
    coach_id = cur.lastrowid
    assert coach_id is not None
    for m in range(5):
        cur.execute("INSERT INTO module (title, position) VALUES (?, ?)", (f"Module {m}", m))
        module_id = cur.lastrowid
        cur.executemany(
            "INSERT INTO lesson (module_id, title, position) VALUES (?, ?, ?)",
            [(module_id, f"Lesson {m}.{k}", k) for k in range(6)],
        )
    cur.execute("INSERT INTO survey (name, created_at) VALUES ('Weekly check-in', ?)", (now,))
    survey_id = cur.lastrowid
    cur.executemany(
        "INSERT INTO survey_question (survey_id, position, text, required) VALUES (?, ?, ?, 1)",
        [(survey_id, p, f"Question {p}?") for p in range(4)],
    )
    question_ids = [r[0] for r in cur.execute("SELECT id FROM survey_question ORDER BY position")]
    first_client = 0
    for i in range(clients):
        last_active = None if i % 7 == 0 else ts(NOW - timedelta(days=i % 20, hours=i % 5))
        cur.execute(
            "INSERT INTO user_account (role, email, name, password_hash, time_zone, is_premium,"
            " created_at, last_active_at) VALUES ('CLIENT', ?, ?, '-', 'UTC', ?, ?, ?)",
            (f"client{i}@bench.test", f"Client {i:05}", i % 3 == 0, now, last_active),
        )
        client_id = cur.lastrowid
        assert client_id is not None
        first_client = first_client or client_id
        cur.execute(
            "INSERT INTO coach_client (coach_id, client_id, consent, consent_updated_at,"
            " linked_at) VALUES (?, ?, 'GRANTED', ?, ?)",
            (coach_id, client_id, now, ts(NOW - timedelta(days=90))),
        )
        cur.executemany(
            "INSERT INTO journal_entry (client_id, created_at, content, analysis_status,"
            " analysis_attempts, summary) VALUES (?, ?, ?, ?, 0, ?)",
            [
                (
                    client_id,
                    ts(NOW - timedelta(hours=20 * e + i % 11)),
                    f"Entry {e}: today I worked on my goals and felt " + "calm " * 40,
                    "ANALYSED" if e % 2 else "PENDING",
                    "A calm, steady day." if e % 2 else None,
                )
                for e in range(entries)
            ],
        )
        cur.executemany(
            "INSERT INTO homework (coach_id, client_id, lesson_id, assigned_at, expires_at,"
            " completed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    coach_id,
                    client_id,
                    1 + (i + h) % 30,
                    ts(NOW - timedelta(days=3 * h + 1)),
                    ts(NOW + timedelta(days=2 - h)),
                    ts(NOW - timedelta(days=3 * h)) if (i + h) % 3 == 0 else None,
                )
                for h in range(10)
            ],
        )
        for s in range(5):
            cur.execute(
                "INSERT INTO survey_submission (survey_id, client_id, submitted_at)"
                " VALUES (?, ?, ?)",
                (survey_id, client_id, ts(NOW - timedelta(days=7 * s + 2))),
            )
            submission_id = cur.lastrowid
            cur.executemany(
                "INSERT INTO survey_answer (submission_id, question_id, answer) VALUES (?, ?, ?)",
                [(submission_id, q, f"Answer {q}") for q in question_ids],
            )
    con.commit()
    con.close()
    return coach_id, first_client


MY_CLIENTS = """{ clients(first: 50) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id name email avatarUrl isPremium lastActiveAt activity daysInactive
    homeworkBadge } } } }"""

DETAIL = """query($id: ID!) { client(id: $id) { id name email activity daysInactive homeworkBadge
  homework { id status assignedAt expiresAt completedAt lesson { id title module { id title } } }
  surveySubmissions { id submittedAt survey { id name } answers { questionId question answer } }
  timeline(first: 50) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind title description occurredAt subjectId } } } } }"""


def floor_my_clients(con: sqlite3.Connection, coach_id: int) -> str:
    rows = con.execute(
        "SELECT u.id, u.name, u.email, u.avatar_url, u.is_premium, u.last_active_at"
        " FROM user_account u WHERE u.role = 'CLIENT' AND u.id IN (SELECT client_id FROM"
        " coach_client WHERE coach_id = ? AND consent = 'GRANTED')"
        " ORDER BY lower(coalesce(u.name, u.email)), u.id LIMIT 51",
        (coach_id,),
    ).fetchall()
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    latest = con.execute(
        "SELECT client_id, expires_at, completed_at FROM (SELECT client_id, expires_at,"
        " completed_at, row_number() OVER (PARTITION BY client_id ORDER BY assigned_at DESC,"
        f" id DESC) AS rn FROM homework WHERE coach_id = ? AND client_id IN ({marks}))"
        " WHERE rn = 1",
        (coach_id, *ids),
    ).fetchall()
    total = con.execute(
        "SELECT count(*) FROM coach_client WHERE coach_id = ? AND consent = 'GRANTED'",
        (coach_id,),
    ).fetchone()
    return json.dumps({"rows": rows, "latest": latest, "total": total})


def floor_detail(con: sqlite3.Connection, coach_id: int, client_id: int) -> str:
    homework = con.execute(
        "SELECT h.id, h.assigned_at, h.expires_at, h.completed_at, l.id, l.title, m.id, m.title"
        " FROM homework h JOIN lesson l ON l.id = h.lesson_id JOIN module m ON m.id ="
        " l.module_id WHERE h.client_id = ? AND h.coach_id = ? ORDER BY h.assigned_at DESC,"
        " h.id DESC",
        (client_id, coach_id),
    ).fetchall()
    submissions = con.execute(
        "SELECT s.id, s.submitted_at, v.id, v.name, q.id, q.text, a.answer"
        " FROM survey_submission s JOIN survey v ON v.id = s.survey_id"
        " JOIN survey_question q ON q.survey_id = s.survey_id LEFT JOIN survey_answer a ON"
        " a.submission_id = s.id AND a.question_id = q.id WHERE s.client_id = ?"
        " ORDER BY s.submitted_at DESC, s.id DESC, q.position",
        (client_id,),
    ).fetchall()
    timeline = con.execute(
        "SELECT * FROM (SELECT created_at AS at, 4 AS rank, id, NULL, coalesce(summary,"
        " substr(content, 1, 80)) FROM journal_entry WHERE client_id = ?1"
        " UNION ALL SELECT h.completed_at, 2, h.id, l.title, m.title FROM homework h JOIN lesson"
        " l ON l.id = h.lesson_id JOIN module m ON m.id = l.module_id WHERE h.client_id = ?1"
        " AND h.coach_id = ?2 AND h.completed_at IS NOT NULL"
        " UNION ALL SELECT h.assigned_at, 1, h.id, l.title, m.title FROM homework h JOIN lesson"
        " l ON l.id = h.lesson_id JOIN module m ON m.id = l.module_id WHERE h.client_id = ?1"
        " AND h.coach_id = ?2"
        " UNION ALL SELECT s.submitted_at, 3, s.id, v.name, NULL FROM survey_submission s JOIN"
        " survey v ON v.id = s.survey_id WHERE s.client_id = ?1)"
        " ORDER BY at DESC, rank DESC, id DESC LIMIT 51",
        (client_id, coach_id),
    ).fetchall()
    count = con.execute(
        "SELECT (SELECT count(*) FROM journal_entry WHERE client_id = ?1) + (SELECT count(*)"
        " FROM homework WHERE client_id = ?1 AND coach_id = ?2) + (SELECT count(*) FROM homework"
        " WHERE client_id = ?1 AND coach_id = ?2 AND completed_at IS NOT NULL) + (SELECT"
        " count(*) FROM survey_submission WHERE client_id = ?1)",
        (client_id, coach_id),
    ).fetchone()
    return json.dumps(
        {"homework": homework, "submissions": submissions, "timeline": timeline, "n": count}
    )


async def measure(fn: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    for _ in range(3):  # warm caches (statement cache, page cache)
        await fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def run(clients: int, entries: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        db = Database(url)
        await db.migrate()
        coach_id, client_id = seed(path, clients, entries)
        token, _ = await issue_token(db, coach_id, timedelta(days=1))
        await db.dispose()

        settings = Settings(database_url=url, run_jobs=False)
        app = create_app(settings, jobs=[])
        headers = {"Authorization": f"Bearer {token}"}
        con = sqlite3.connect(path)
        rows = []
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as http,
        ):

            async def post(query: str, variables: dict[str, Any]) -> None:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                body = response.json()
                assert not body.get("errors"), body["errors"]

            cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], str], float]] = [
                (
                    "My Clients page, first 50 (activity, badge)",
                    lambda: post(MY_CLIENTS, {}),
                    lambda: floor_my_clients(con, coach_id),
                    3.0,
                ),
                (
                    "client detail: homework, surveys, timeline (50)",
                    lambda: post(DETAIL, {"id": str(client_id)}),
                    lambda: floor_detail(con, coach_id, client_id),
                    4.0,
                ),
            ]
            for name, fn, floor, target in cases:
                times = await measure(fn, runs)

                async def floor_fn(floor: Callable[[], str] = floor) -> str:
                    return floor()

                floor_times = await measure(floor_fn, runs)
                median, floor_median = statistics.median(times), statistics.median(floor_times)
                rows.append(
                    f"| {name} | {median:.2f} | {p95(times):.2f} | {floor_median:.2f} |"
                    f" {median / floor_median:.1f}x | <= {target:.0f}x |"
                )
        con.close()
    print(f"client graph: {clients} clients x {entries} journal entries, 10 homework, 5 surveys;")
    print(f"{runs} runs each over in-process HTTP (httpx ASGITransport), SQLite\n")
    print("| benchmark | median ms | p95 ms | floor median ms | ratio | target |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(run(args.clients, args.entries, args.runs))


if __name__ == "__main__":
    main()
