"""No N+1 in the sessions list: a page asking every per-row field (the coach with their bookable
services, the client behind consent, clientEmail, joinUrl, fee) runs as many SQL statements for
100 rows as for 10, whatever mix of consents the rows' clients gave; and the client's
`myCoaches` runs as many for 2 coaches as for 8."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.clients.models import ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.sessions.models import CoachingService, CoachingSession, SessionStatus
from tests.conftest import T0, GraphQLClient, Practice, count_statements, count_tasks


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages of 100 rows with nested lists: over the cost limit of a real request, which is not
    what these tests measure."""
    return settings.with_(query_cost_limit=1_000_000)


PAGE = """query($n: Int) { sessions(first: $n) { edges { node {
  id clientName clientEmail client { id name } joinUrl canJoin fee { amountMinor currency }
  service { name } calendar { name } coach { id name timeZone services { id name } }
} } } }"""
CONSENTS = (ConsentStatus.GRANTED, ConsentStatus.PENDING, ConsentStatus.DECLINED)


async def _sessions(db: Database, coach_id: int, client_ids: list[int | None], n: int) -> None:
    """`n` past sessions spread over the clients (None: a deleted client), some with a fee."""
    async with db.transaction() as session:
        service = await session.scalar(
            sa.select(CoachingService).where(col(CoachingService.coach_id) == coach_id).limit(1)
        )
        assert service is not None
        for i in range(n):
            starts = T0 - timedelta(hours=2 * (i + 1))
            session.add(
                CoachingSession(
                    coach_id=coach_id,
                    client_id=client_ids[i % len(client_ids)],
                    service_id=service.id or 0,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=service.duration_minutes),
                    duration_minutes=service.duration_minutes,
                    status=(SessionStatus.NO_SHOW if i % 5 == 0 else SessionStatus.COMPLETED).value,
                    price_minor=service.price_minor,
                    currency=service.currency,
                    fee_minor=500 if i % 5 == 0 else 0,
                )
            )


async def test_the_sessions_page_with_coach_client_email_join_url_and_fee_is_constant(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach("Coach Carter")
    clients = [
        await practice.client(coach, f"Client {i}", consent=CONSENTS[i % 3]) for i in range(6)
    ]
    token = await practice.token(coach)
    ids: list[int | None] = [c.id for c in clients] + [None]
    await _sessions(practice.resources.db, coach.id or 0, ids, 100)

    async def statements(n: int) -> int:
        with count_statements(practice.resources.db) as seen:
            data = await gql.data(PAGE, {"n": n}, token)
        rows = [e["node"] for e in data["sessions"]["edges"]]
        assert len(rows) == n
        by_email = {c.email: c for c in clients}
        for row in rows:
            assert row["coach"]["name"] == "Coach Carter" and row["coach"]["services"]
            assert row["joinUrl"]
            if row["clientEmail"] is None:
                assert (row["clientName"], row["client"]) == ("Deleted Client", None)
                continue
            granted = by_email[row["clientEmail"]] in clients[::3]
            assert (row["client"] is not None) == granted
        assert any(row["fee"] for row in rows)
        return len(seen)

    assert await statements(10) == await statements(100)


async def test_a_history_page_answers_coach_and_client_email_without_a_task_per_row(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach("Coach Carter")
    client = await practice.client(coach, consent=ConsentStatus.PENDING)
    await _sessions(practice.resources.db, coach.id or 0, [client.id], 8)
    token = await practice.token(coach)
    with count_tasks() as created:
        data = await gql.data(
            "{ sessions { edges { node { clientName clientEmail coach { id name } } } } }",
            token=token,
        )
    assert len(data["sessions"]["edges"]) == 8
    assert created == []


MY_COACHES = """{ myCoaches { consent consentUpdatedAt
  coach { id name timeZone services { id name durationMinutes price { amountMinor } } } } }"""


async def test_my_coaches_runs_the_same_statements_for_2_and_8_coaches(
    gql: GraphQLClient, practice: Practice
) -> None:
    client = await practice.client(None, "Client Cleo")
    token = await practice.token(client)

    async def statements() -> int:
        with count_statements(practice.resources.db) as seen:
            data = await gql.data(MY_COACHES, token=token)
        assert all(len(link["coach"]["services"]) == 4 for link in data["myCoaches"])
        return len(seen)

    for i in range(2):
        await practice.link(await practice.coach(f"Coach {i}"), client, CONSENTS[i % 3])
    few = await statements()
    for i in range(2, 8):
        await practice.link(await practice.coach(f"Coach {i}"), client, CONSENTS[i % 3])
    assert await statements() == few
