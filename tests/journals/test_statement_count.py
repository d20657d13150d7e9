"""No N+1: the journal fields of a page of clients, or a page of entries, cost a constant number
of SQL statements whatever the number of rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry
from tests.conftest import GraphQLClient, Practice, count_statements
from tests.journals.conftest import Journals


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages of 100 rows with every nested list: far over the cost limit of a real request,
    which is not what these tests measure (SQL statements per page)."""
    return settings.with_(query_cost_limit=1_000_000)


CLIENTS = """query($n: Int!) {
  clients(first: $n) { edges { node {
    lastJournalAt canGenerateSummary
    journalEntries(first: 3) { totalCount edges { node { id content analysisStatus
      analysis { sentiment themes emotions { emotion score } } } } }
    summaries { id journalCount }
    recentEmotions { at scores { score } }
    emotionsOverTime(range: MONTH) { at sentimentScore }
  } } }
}"""
ENTRIES = """query($id: ID!, $n: Int!) {
  client(id: $id) { journalEntries(first: $n) { totalCount edges { node { id
    analysis { sentiment summary themes emotions { emotion score } } } } } }
}"""


async def _clients_with_entries(practice: Practice, db: Database, n: int) -> str:
    coach = await practice.coach()
    clients = [await practice.client(coach) for _ in range(n)]
    now = clock.now()
    async with db.transaction() as session:
        for c in clients:
            for i in range(4):
                session.add(
                    JournalEntry(
                        client_id=c.id,
                        created_at=now - timedelta(days=i),
                        content=f"Entry {i}: happy walk.",
                        analysis_due_at=now,
                    )
                )
    return await practice.token(coach)


async def test_a_page_of_clients_costs_the_same_statements_for_10_and_100(
    gql: GraphQLClient,
    practice: Practice,
    db: Database,
    journals: Journals,
    manual_clock: clock.ManualClock,
) -> None:
    token = await _clients_with_entries(practice, db, 100)
    await journals.analyse()
    counts = []
    for n in (10, 100):
        with count_statements(db) as statements:
            data = await gql.data(CLIENTS, {"n": n}, token)
        assert len(data["clients"]["edges"]) == n
        assert all(e["node"]["journalEntries"]["totalCount"] == 4 for e in data["clients"]["edges"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_a_page_of_entries_costs_the_same_statements_for_10_and_100(
    gql: GraphQLClient,
    practice: Practice,
    journals: Journals,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token, client_token = await practice.token(coach), await practice.token(client)
    for i in range(100):
        await journals.write(client_token, f"Entry {i}: slept well, calm day.")
    await journals.analyse()
    counts = []
    for n in (10, 100):
        with count_statements(db) as statements:
            data = await gql.data(ENTRIES, {"id": str(client.id), "n": n}, token)
        assert len(data["client"]["journalEntries"]["edges"]) == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
