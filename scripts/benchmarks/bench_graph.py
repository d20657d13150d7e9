"""Issue 14's pages near the floor: the My Clients page and one client's detail with every tab,
over HTTP against a real uvicorn, next to the floor: the same rows read with hand-written SQL
through the standard sqlite3 module and encoded to the same JSON, served by a bare starlette
route on the SAME uvicorn and fetched over the SAME keep-alive connection, interleaved with the
GraphQL page (`--rounds` rounds of `--runs` pairs). The in-process floor (no HTTP) is printed
beside it. Targets (issue 19, against the HTTP floor): My Clients <= 2x, client detail <= 2.5x.

    .venv/bin/python scripts/benchmarks/bench_graph.py [--clients 2000] [--entries 100]
        [--runs 30] [--rounds 5]

Fields of the documents that the running schema does not have yet are left out (and listed), so
the benchmark runs on any branch; after the merge it measures every column and tab.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from common import (
    HTTP_FLOOR_HEADER,
    graphql,
    interleaved,
    ratio_row,
    seed,
    sqlite_path_of,
    temporary_sqlite,
    uvicorn_server,
)
from graphql import (
    REMOVE,
    FieldNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_client_schema,
    get_introspection_query,
    parse,
    print_ast,
    visit,
)

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coach_graph.app import create_app
from coach_graph.demo.people import DEMO_PASSWORD
from coach_graph.demo.practice import DemoSize
from coach_graph.pagination import Cursors

# ------------------------------------------------------------------ the GraphQL documents
# The dashboard's two heaviest reads, written against ../shared/contract.graphql.

MY_CLIENTS = """
query MyClients {
  clients(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id name email avatarUrl isPremium lastActiveAt
        activity daysInactive homeworkBadge lastJournalAt
      }
    }
  }
}
"""

CLIENT_DETAIL = """
query ClientDetail($id: ID!) {
  client(id: $id) {
    id name email avatarUrl
    journalEntries(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id createdAt content analysisStatus
        analysis { sentiment sentimentScore summary themes emotions { emotion score } }
      } }
    }
    summaries { id createdAt journalCount summary emotionTrend periodStart periodEnd }
    canGenerateSummary
    recentEmotions { at sentimentScore scores { emotion score } }
    emotionsOverTime(range: WEEK) { at sentimentScore scores { emotion score } }
    surveySubmissions {
      id submittedAt
      survey { id name }
      answers { questionId question answer }
    }
    homework {
      id assignedAt expiresAt completedAt status
      lesson { id title module { id title } }
    }
    timeline(first: 50) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind title description occurredAt subjectId } }
    }
  }
}
"""

# Issue 19's targets, each page against its HTTP floor.
MY_CLIENTS_TARGET = 2.0
CLIENT_DETAIL_TARGET = 2.5

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""


def fit_to_schema(document: str, introspection: dict[str, Any]) -> tuple[str, list[str]]:
    """The document without the fields the running schema lacks, and the names left out."""
    schema = build_client_schema(introspection)
    type_info = TypeInfo(schema)
    missing: list[str] = []

    class Prune(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> Any:
            if type_info.get_field_def() is None:
                parent = type_info.get_parent_type()
                missing.append(f"{parent.name if parent else '?'}.{node.name.value}")
                return REMOVE
            return None

    pruned = visit(parse(document), TypeInfoVisitor(type_info, Prune()))
    return print_ast(pruned), missing


# ------------------------------------------------------------------ the floor: plain sqlite3

EMOTIONS = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")


def iso(value: str | None) -> str | None:
    """SQLite's stored UTC text as the API's ISO-8601 with Z."""
    return None if value is None else value.replace(" ", "T") + "Z"


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# The floor signs its cursors as the app does (HMAC-SHA-256 over the key), with a key of its own.
FLOOR_CURSORS = Cursors(b"the floor signs its cursors too")


def cursor(*key: Any) -> str:
    return FLOOR_CURSORS.encode(*key)


def floor_my_clients(con: sqlite3.Connection, coach_id: int, tz: str, now: datetime) -> bytes:
    granted = """FROM user_account u JOIN coach_client cc ON cc.client_id = u.id
        WHERE cc.coach_id = ? AND cc.consent = 'GRANTED' AND u.role = 'CLIENT'"""
    rows = con.execute(
        f"""WITH page AS (SELECT u.id, u.name, u.email, u.avatar_url, u.is_premium,
                u.last_active_at, u.sort_key {granted}
                ORDER BY u.sort_key, u.id LIMIT 51)
            SELECT p.*, (SELECT max(j.created_at) FROM journal_entry j WHERE j.client_id = p.id),
                   h.id, h.expires_at, h.completed_at
            FROM page p LEFT JOIN homework h ON h.id = (
                SELECT h2.id FROM homework h2 WHERE h2.client_id = p.id AND h2.coach_id = ?
                ORDER BY h2.assigned_at DESC, h2.id DESC LIMIT 1)
            ORDER BY p.sort_key, p.id""",
        (coach_id, coach_id),
    ).fetchall()
    total = con.execute(f"SELECT count(*) {granted}", (coach_id,)).fetchone()[0]
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    edges = []
    for row in rows[:50]:
        cid, name, email, avatar, premium, last_active, sort_key, last_journal = row[:8]
        hid, expires, done = row[8:]
        days = None
        if last_active is not None:
            days = (today - parse_utc(last_active).astimezone(zone).date()).days
        activity = (
            "NEVER" if days is None else "ACTIVE" if days <= 1 else "RECENT" if days <= 5
            else "INACTIVE"
        )  # fmt: skip
        if hid is None:
            badge = "NONE"
        elif done is not None:
            badge = "COMPLETED"
        elif expires is None:
            badge = "ASSIGNED"
        else:
            due = parse_utc(expires)
            due_day = due.astimezone(zone).date()
            badge = (
                "OVERDUE" if due <= now else "DUE_TODAY" if due_day == today
                else "DUE_TOMORROW" if due_day == today + timedelta(days=1) else "ASSIGNED"
            )  # fmt: skip
        node = {
            "id": str(cid), "name": name, "email": email, "avatarUrl": avatar,
            "isPremium": bool(premium), "lastActiveAt": iso(last_active), "activity": activity,
            "daysInactive": days, "homeworkBadge": badge, "lastJournalAt": iso(last_journal),
        }  # fmt: skip
        edges.append({"cursor": cursor(sort_key, cid), "node": node})
    page_info = {"hasNextPage": len(rows) > 50, "endCursor": edges[-1]["cursor"] if edges else None}
    data = {"clients": {"totalCount": total, "pageInfo": page_info, "edges": edges}}
    return json.dumps({"data": data}).encode()


def _emotions(row: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"emotion": e.upper(), "score": s} for e, s in zip(EMOTIONS, row, strict=True)]


def floor_client_detail(
    con: sqlite3.Connection, coach_id: int, client_id: int, now: datetime
) -> bytes:
    emo = ", ".join(EMOTIONS)
    c = con.execute(
        """SELECT u.id, u.name, u.email, u.avatar_url FROM user_account u
           JOIN coach_client cc ON cc.client_id = u.id
           WHERE u.id = ? AND cc.coach_id = ? AND cc.consent = 'GRANTED'""",
        (client_id, coach_id),
    ).fetchone()
    entries = con.execute(
        f"""SELECT id, created_at, content, analysis_status, sentiment, sentiment_score, summary,
                   themes, {emo}
            FROM journal_entry WHERE client_id = ? ORDER BY created_at DESC, id DESC LIMIT 21""",
        (client_id,),
    ).fetchall()
    entry_count = con.execute(
        "SELECT count(*) FROM journal_entry WHERE client_id = ?", (client_id,)
    ).fetchone()[0]
    summaries = con.execute(
        """SELECT id, created_at, journal_count, summary, emotion_trend, period_start, period_end
           FROM journal_summary WHERE client_id = ? ORDER BY created_at DESC""",
        (client_id,),
    ).fetchall()
    uncovered = con.execute(
        """SELECT count(*) FROM journal_entry WHERE client_id = ? AND analysis_status = 'ANALYSED'
           AND summary_id IS NULL""",
        (client_id,),
    ).fetchone()[0]
    recent = con.execute(
        f"""SELECT created_at, sentiment_score, {emo} FROM journal_entry
            WHERE client_id = ? AND analysis_status = 'ANALYSED'
            ORDER BY created_at DESC, id DESC LIMIT 15""",
        (client_id,),
    ).fetchall()
    since = (now - timedelta(days=7)).replace(tzinfo=None).isoformat(" ")
    week = con.execute(
        f"""SELECT min(created_at), avg(sentiment_score), {", ".join(f"avg({e})" for e in EMOTIONS)}
            FROM journal_entry WHERE client_id = ? AND analysis_status = 'ANALYSED'
            AND created_at >= ? GROUP BY date(created_at) ORDER BY 1""",
        (client_id, since),
    ).fetchall()
    answers = con.execute(
        """SELECT s.id, s.submitted_at, v.id, v.name, q.id, q.text, a.answer
           FROM survey_submission s JOIN survey v ON v.id = s.survey_id
           JOIN survey_answer a ON a.submission_id = s.id
           JOIN survey_question q ON q.id = a.question_id
           WHERE s.client_id = ? ORDER BY s.submitted_at DESC, s.id DESC, q.position""",
        (client_id,),
    ).fetchall()
    homework = con.execute(
        """SELECT h.id, h.assigned_at, h.expires_at, h.completed_at, l.id, l.title, m.id, m.title
           FROM homework h JOIN lesson l ON l.id = h.lesson_id JOIN module m ON m.id = l.module_id
           WHERE h.client_id = ? AND h.coach_id = ? ORDER BY h.assigned_at DESC, h.id DESC""",
        (client_id, coach_id),
    ).fetchall()
    timeline = con.execute(
        """SELECT * FROM (
             SELECT 'JOURNAL_ENTRY' AS kind, id, created_at AS at, 'Journal entry' AS title,
                    substr(content, 1, 120) AS description FROM journal_entry WHERE client_id = ?1
             UNION ALL
             SELECT 'LESSON_ASSIGNED', h.id, h.assigned_at, l.title, NULL
               FROM homework h JOIN lesson l ON l.id = h.lesson_id WHERE h.client_id = ?1
             UNION ALL
             SELECT 'LESSON_COMPLETED', h.id, h.completed_at, l.title, NULL
               FROM homework h JOIN lesson l ON l.id = h.lesson_id
               WHERE h.client_id = ?1 AND h.completed_at IS NOT NULL
             UNION ALL
             SELECT 'SURVEY_SUBMITTED', s.id, s.submitted_at, v.name, NULL
               FROM survey_submission s JOIN survey v ON v.id = s.survey_id
               WHERE s.client_id = ?1)
           ORDER BY at DESC, kind, id DESC LIMIT 51""",
        (client_id,),
    ).fetchall()

    def entry_node(r: tuple[Any, ...]) -> dict[str, Any]:
        analysis = None
        if r[3] == "ANALYSED":
            analysis = {
                "sentiment": r[4], "sentimentScore": r[5], "summary": r[6],
                "themes": json.loads(r[7] or "[]"), "emotions": _emotions(r[8:16]),
            }  # fmt: skip
        node = {"id": str(r[0]), "createdAt": iso(r[1]), "content": r[2],
                "analysisStatus": r[3], "analysis": analysis}  # fmt: skip
        return {"cursor": cursor(r[1], r[0]), "node": node}

    submissions: dict[int, dict[str, Any]] = {}
    for sid, at, vid, vname, qid, qtext, answer in answers:
        sub = submissions.setdefault(
            sid,
            {"id": str(sid), "submittedAt": iso(at), "survey": {"id": str(vid), "name": vname},
             "answers": []},
        )  # fmt: skip
        sub["answers"].append({"questionId": str(qid), "question": qtext, "answer": answer})

    def status(expires: str | None, done: str | None) -> str:
        if done is not None:
            return "COMPLETED"
        return "OVERDUE" if expires is not None and parse_utc(expires) <= now else "ASSIGNED"

    client = {
        "id": str(c[0]), "name": c[1], "email": c[2], "avatarUrl": c[3],
        "journalEntries": {
            "totalCount": entry_count,
            "pageInfo": {"hasNextPage": len(entries) > 20,
                         "endCursor": cursor(entries[19][1], entries[19][0]) if entries else None},
            "edges": [entry_node(r) for r in entries[:20]],
        },
        "summaries": [
            {"id": str(s[0]), "createdAt": iso(s[1]), "journalCount": s[2], "summary": s[3],
             "emotionTrend": s[4], "periodStart": iso(s[5]), "periodEnd": iso(s[6])}
            for s in summaries
        ],
        "canGenerateSummary": uncovered >= 3,
        "recentEmotions": [
            {"at": iso(r[0]), "sentimentScore": r[1], "scores": _emotions(r[2:])} for r in recent
        ],
        "emotionsOverTime": [
            {"at": iso(r[0]), "sentimentScore": r[1], "scores": _emotions(r[2:])} for r in week
        ],
        "surveySubmissions": list(submissions.values()),
        "homework": [
            {"id": str(h[0]), "assignedAt": iso(h[1]), "expiresAt": iso(h[2]),
             "completedAt": iso(h[3]), "status": status(h[2], h[3]),
             "lesson": {"id": str(h[4]), "title": h[5],
                        "module": {"id": str(h[6]), "title": h[7]}}}
            for h in homework
        ],
        "timeline": {
            "pageInfo": {"hasNextPage": len(timeline) > 50, "endCursor": None},
            "edges": [
                {"cursor": cursor(t[2], t[0], t[1]),
                 "node": {"id": f"{t[0]}:{t[1]}", "kind": t[0], "title": t[3],
                          "description": t[4], "occurredAt": iso(t[2]), "subjectId": str(t[1])}}
                for t in timeline[:50]
            ],
        },
    }  # fmt: skip
    return json.dumps({"data": {"client": client}}).encode()


# ------------------------------------------------------------------ the floor over HTTP


def app_with_floors() -> Starlette:
    """The app (as `coach_graph.app:create_app` builds it) plus the floors as bare routes, first
    in line: `/floor/my-clients?coach=&tz=` and `/floor/client-detail?coach=&client=`."""
    app = create_app()
    con = sqlite3.connect(sqlite_path_of(os.environ["DATABASE_URL"]), check_same_thread=False)

    async def my_clients(request: Request) -> Response:
        q = request.query_params
        body = floor_my_clients(con, int(q["coach"]), q["tz"], datetime.now(UTC))
        return Response(body, media_type="application/json")

    async def client_detail(request: Request) -> Response:
        q = request.query_params
        body = floor_client_detail(con, int(q["coach"]), int(q["client"]), datetime.now(UTC))
        return Response(body, media_type="application/json")

    app.router.routes[0:0] = [
        Route("/floor/my-clients", my_clients),
        Route("/floor/client-detail", client_detail),
    ]
    return app


def fetch(http: httpx.Client, path: str, params: dict[str, Any]) -> None:
    response = http.get(path, params=params)
    response.raise_for_status()
    response.json()


# ------------------------------------------------------------------ the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with temporary_sqlite() as (url, path):
        practice, seconds = seed(url, DemoSize(clients=args.clients, entries=args.entries))
        coach_id = practice.demo_coach_id
        client_id = practice.clients[0].id  # client1: GRANTED, active today, full history
        tz = practice.coach_time_zones[coach_id]
        con = sqlite3.connect(path)
        with (
            uvicorn_server(url, app="bench_graph:app_with_floors") as server,
            httpx.Client(base_url=server.base_url) as http,
        ):
            token = graphql(http, LOGIN, {"e": "coach@demo.example", "p": DEMO_PASSWORD})
            token = token["data"]["login"]["token"]
            schema = graphql(http, get_introspection_query())["data"]
            my_clients, missing_a = fit_to_schema(MY_CLIENTS, schema)
            detail, missing_b = fit_to_schema(CLIENT_DETAIL, schema)
            variables = {"id": str(client_id)}
            list_params = {"coach": coach_id, "tz": tz}
            detail_params = {"coach": coach_id, "client": client_id}
            now = datetime.now(UTC)
            s = interleaved(
                {
                    "clients": lambda: graphql(http, my_clients, token=token),
                    "clients floor": lambda: fetch(http, "/floor/my-clients", list_params),
                    "clients sql": lambda: floor_my_clients(con, coach_id, tz, now),
                    "detail": lambda: graphql(http, detail, variables, token),
                    "detail floor": lambda: fetch(http, "/floor/client-detail", detail_params),
                    "detail sql": lambda: floor_client_detail(con, coach_id, client_id, now),
                },
                args.runs,
                args.rounds,
            )
        con.close()

    print(
        f"bench_graph: {args.clients} clients x {args.entries} journal entries "
        f"(seeded in {seconds:.1f} s), {args.rounds} rounds x {args.runs} interleaved runs, "
        "one uvicorn on 127.0.0.1, one keep-alive connection, SQLite"
    )
    print()
    print(HTTP_FLOOR_HEADER)
    print(ratio_row("My Clients: clients(first: 50), every column", s["clients"],
                    s["clients floor"], MY_CLIENTS_TARGET))  # fmt: skip
    print(ratio_row("Client detail: every tab, first page", s["detail"], s["detail floor"],
                    CLIENT_DETAIL_TARGET))  # fmt: skip
    print(ratio_row("(My Clients against the in-process SQL floor)", s["clients"],
                    s["clients sql"], MY_CLIENTS_TARGET))  # fmt: skip
    print(ratio_row("(Client detail against the in-process SQL floor)", s["detail"],
                    s["detail sql"], CLIENT_DETAIL_TARGET))  # fmt: skip
    missing = sorted(set(missing_a + missing_b))
    if missing:
        print()
        print(f"Not in this schema yet, left out of the GraphQL side: {', '.join(missing)}")
    sys.stdout.flush()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(bench_graph took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
