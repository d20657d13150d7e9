"""Reads of a client's private data go on their audit trail: coalesced per (reader, client,
action) and hour, written off the request path, never failing a read, flushed on shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httpx
import pytest
import sqlalchemy as sa

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.app import create_app
from coach_graph.audit.store import write_reads
from coach_graph.auditing import AuditAction, AuditRecorder
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database, is_sqlite
from tests.audit.conftest import analysed_entry, trail_rows
from tests.conftest import T0, GraphQLClient, Practice, _truncate
from tests.graph_data import add_submission, add_survey, uid

JOURNAL = """query($id: ID!) { client(id: $id) { journalEntries { edges { node {
  content analysis { summary } } } } } }"""
SUMMARIES = "query($id: ID!) { client(id: $id) { summaries { summary } } }"
EMOTIONS = """query($id: ID!) { client(id: $id) {
  recentEmotions { sentimentScore } emotionsOverTime(range: WEEK) { sentimentScore } } }"""
SURVEYS = "query($id: ID!) { client(id: $id) { surveySubmissions { answers { answer } } } }"
TIMELINE = "query($id: ID!) { client(id: $id) { timeline { edges { node { %s } } } } }"
MY_CLIENTS = "{ clients { edges { node { id journalEntries { edges { node { content } } } } } } }"


@dataclass
class Scene:
    coach: User
    client: User
    token: str  # the coach's

    @property
    def ids(self) -> tuple[int, int]:
        return uid(self.coach), uid(self.client)


@pytest.fixture
async def scene(practice: Practice, manual_clock: clock.ManualClock) -> Scene:
    """A coach and their GRANTED client, who wrote one analysed entry two hours ago."""
    coach = await practice.coach()
    client = await practice.client(coach)
    await analysed_entry(practice.resources.db, client, T0 - timedelta(hours=2), "Slept well.")
    return Scene(coach, client, await practice.token(coach))


async def test_each_private_field_a_coach_reads_is_recorded_with_its_action(
    gql: GraphQLClient, resources: Resources, scene: Scene
) -> None:
    survey, questions = await add_survey(resources.db, "Mood", [("How are you?", True)])
    assert questions[0].id is not None
    await add_submission(resources.db, scene.client, survey, T0, {questions[0].id: "Fine"})
    for query in (JOURNAL, EMOTIONS, SURVEYS):
        await gql.data(query, {"id": str(scene.client.id)}, scene.token)
    assert await resources.audit.flush() == 3
    coach, client = scene.ids
    assert sorted(await trail_rows(resources.db)) == [
        (coach, client, action, T0) for action in ("READ_EMOTIONS", "READ_JOURNAL", "READ_SURVEYS")
    ]


async def test_a_timeline_records_a_journal_read_only_when_it_quotes_entries(
    gql: GraphQLClient, resources: Resources, scene: Scene
) -> None:
    variables = {"id": str(scene.client.id)}
    await gql.data(TIMELINE % "kind title occurredAt", variables, scene.token)
    await resources.audit.flush()
    assert await trail_rows(resources.db) == []
    await gql.data(TIMELINE % "kind description", variables, scene.token)
    await resources.audit.flush()
    assert [row[2] for row in await trail_rows(resources.db)] == ["READ_JOURNAL"]


async def test_a_client_reading_their_own_data_and_empty_reads_are_not_recorded(
    gql: GraphQLClient, practice: Practice, resources: Resources, scene: Scene
) -> None:
    own = await practice.token(scene.client)
    await gql.data(JOURNAL, {"id": str(scene.client.id)}, own)
    silent = await practice.client(scene.coach)  # nothing written: nothing read
    for query in (JOURNAL, SUMMARIES, EMOTIONS, SURVEYS):
        await gql.data(query, {"id": str(silent.id)}, scene.token)
    assert resources.audit.pending == 0
    assert await resources.audit.flush() == 0
    assert await trail_rows(resources.db) == []


async def test_concurrent_reads_in_one_hour_make_one_event_and_the_next_hour_another(
    gql: GraphQLClient,
    resources: Resources,
    scene: Scene,
    manual_clock: clock.ManualClock,
) -> None:
    variables = {"id": str(scene.client.id)}
    manual_clock.advance(timedelta(minutes=5))
    await asyncio.gather(*(gql.data(JOURNAL, variables, scene.token) for _ in range(20)))
    assert resources.audit.pending == 1
    await resources.audit.flush()
    manual_clock.advance(timedelta(minutes=50))  # 10:55, the same hour
    await asyncio.gather(*(gql.data(JOURNAL, variables, scene.token) for _ in range(10)))
    assert resources.audit.pending == 0  # already written this hour: not even noted
    manual_clock.advance(timedelta(minutes=10))  # 11:05, the next hour
    await asyncio.gather(*(gql.data(JOURNAL, variables, scene.token) for _ in range(10)))
    await resources.audit.flush()
    coach, client = scene.ids
    assert await trail_rows(resources.db) == [
        (coach, client, "READ_JOURNAL", T0 + timedelta(minutes=5)),
        (coach, client, "READ_JOURNAL", T0 + timedelta(minutes=65)),
    ]


async def test_two_workers_reading_in_one_hour_write_one_event(
    resources: Resources, scene: Scene, manual_clock: clock.ManualClock
) -> None:
    """Each worker has its recorder; the table's unique key keeps the hour's first one."""
    coach, client = scene.ids
    other = AuditRecorder(partial(write_reads, resources.db))
    resources.audit.read(coach, client, AuditAction.READ_SURVEYS)
    manual_clock.advance(timedelta(minutes=1))
    other.read(coach, client, AuditAction.READ_SURVEYS)
    await asyncio.gather(resources.audit.flush(), other.flush())
    assert await trail_rows(resources.db) == [(coach, client, "READ_SURVEYS", T0)]


async def test_a_page_of_clients_records_one_read_per_client(
    gql: GraphQLClient, practice: Practice, resources: Resources, scene: Scene
) -> None:
    others = [await practice.client(scene.coach) for _ in range(4)]
    for other in others:
        await analysed_entry(resources.db, other, T0 - timedelta(hours=1), "A day.")
    await gql.data(MY_CLIENTS, token=scene.token)
    await gql.data(MY_CLIENTS, token=scene.token)
    assert await resources.audit.flush() == 5
    rows = await trail_rows(resources.db)
    assert sorted(r[1] for r in rows) == sorted(uid(c) for c in [scene.client, *others])
    assert {(r[0], r[2]) for r in rows} == {(uid(scene.coach), "READ_JOURNAL")}


async def test_a_failing_write_never_fails_the_read_and_is_written_later(
    gql: GraphQLClient, resources: Resources, scene: Scene
) -> None:
    variables = {"id": str(scene.client.id)}
    async with resources.db.transaction() as session:  # the trail's table goes away
        await session.execute(sa.text("ALTER TABLE audit_event RENAME TO audit_event_away"))
    try:
        data = await gql.data(JOURNAL, variables, scene.token)
        assert data["client"]["journalEntries"]["edges"][0]["node"]["content"] == "Slept well."
        assert await resources.audit.flush() == 0  # failed: kept for the next flush
        assert resources.audit.pending == 1
        await gql.data(JOURNAL, variables, scene.token)  # still answers
    finally:
        async with resources.db.transaction() as session:
            await session.execute(sa.text("ALTER TABLE audit_event_away RENAME TO audit_event"))
    assert await resources.audit.flush() == 1
    coach, client = scene.ids
    assert await trail_rows(resources.db) == [(coach, client, "READ_JOURNAL", T0)]


async def test_reads_still_pending_are_written_when_the_app_stops(
    settings: Settings, manual_clock: clock.ManualClock
) -> None:
    # An app of its own, whose recorder would not flush before an hour: only shutdown writes.
    app = create_app(settings.with_(audit_flush_seconds=3600.0), jobs=[])
    async with app.router.lifespan_context(app):
        res: Resources = app.state.resources
        if not is_sqlite(settings.database_url):
            await _truncate(res.db)
        own = Practice(res)
        coach = await own.coach()
        client = await own.client(coach)
        await analysed_entry(res.db, client, T0 - timedelta(hours=1), "Quiet.")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            await GraphQLClient(http).data(JOURNAL, {"id": str(client.id)}, await own.token(coach))
        assert res.audit.pending == 1
        assert await trail_rows(res.db) == []
    db = Database(settings.database_url)
    try:
        assert await trail_rows(db) == [(uid(coach), uid(client), "READ_JOURNAL", T0)]
    finally:
        await db.dispose()
