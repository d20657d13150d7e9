"""The dashboard's pages through the app: compiled, equal to graphql-core's answer (the check is
on), and no more SQL statements than graphql-core runs, for 10 rows as for 100."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from coach_graph import clock
from coach_graph.app import create_app
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice, DemoSize
from coach_graph.demo.registry import seed_demo
from coach_graph.execution import EXECUTIONS
from coach_graph.execution.check import CHECKED, COMPILED
from tests.clients.test_statement_counts import DETAIL as DETAIL_TABS
from tests.clients.test_statement_counts import MY_CLIENTS as MY_CLIENTS_TABLE
from tests.clients.test_statement_counts import seed_clients, seed_detail
from tests.conftest import GraphQLClient, Practice, count_statements

MY_CLIENTS = """query MyClients { clients(first: 50) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id name email avatarUrl isPremium lastActiveAt activity daysInactive homeworkBadge
    lastJournalAt canGenerateSummary
    journalEntries(first: 2) { totalCount edges { node { id createdAt analysisStatus
      analysis { sentiment sentimentScore themes emotions { emotion score } } } } }
    homework { id status assignedAt lesson { title module { title } } }
    surveySubmissions { id survey { name } answers { question answer } }
    timeline(first: 2) { edges { node { id kind title occurredAt } } }
    sessions(first: 2) { totalCount edges { node { id startsAt status service { name }
      fee { amountMinor currency } } } }
    sessionStats { total completed revenue { amountMinor } }
  } } } }"""

CLIENT_DETAIL = """query ClientDetail($id: ID!) { client(id: $id) {
  id name email avatarUrl
  journalEntries(first: 20) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id createdAt content analysisStatus
      analysis { sentiment sentimentScore summary themes emotions { emotion score } } } } }
  summaries { id createdAt journalCount summary emotionTrend periodStart periodEnd }
  canGenerateSummary
  recentEmotions { at sentimentScore scores { emotion score } }
  emotionsOverTime(range: WEEK) { at sentimentScore scores { emotion score } }
  surveySubmissions { id submittedAt survey { id name } answers { questionId question answer } }
  homework { id assignedAt expiresAt completedAt status lesson { id title module { id title } } }
  timeline(first: 50) { pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind title description occurredAt subjectId } } } } }"""

DEMO = DemoSize(clients=70, entries=8, second_coach_clients=1, sessions=3)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages with every nested list, over the cost limit of a real request (not measured here)."""
    return settings.with_(query_cost_limit=1_000_000)


@pytest.fixture
async def demo(app: Starlette, settings: Settings, manual_clock: clock.ManualClock) -> DemoPractice:
    return await seed_demo(app.state.resources.db, settings, DEMO)


def _delta(before: Counter[str]) -> Counter[str]:
    after = Counter(EXECUTIONS)
    after.subtract(before)
    return +after


async def test_a_page_of_50_clients_with_every_column_is_compiled_and_equals_graphql_core(
    gql: GraphQLClient, demo: DemoPractice, settings: Settings
) -> None:
    assert settings.execution_check
    token = await demo_coach_token(gql)
    before = Counter(EXECUTIONS)
    data = await gql.data(MY_CLIENTS, token=token)
    assert _delta(before) == {COMPILED: 1, CHECKED: 1}
    edges = data["clients"]["edges"]
    assert len(edges) == 50 and data["clients"]["pageInfo"]["hasNextPage"]
    assert any(e["node"]["journalEntries"]["edges"] for e in edges)
    assert any(e["node"]["sessions"]["edges"] for e in edges)


async def test_the_client_detail_page_is_compiled_and_equals_graphql_core(
    gql: GraphQLClient, demo: DemoPractice
) -> None:
    token = await demo_coach_token(gql)
    page = await gql.data("{ clients(first: 1) { edges { node { id } } } }", token=token)
    client_id = page["clients"]["edges"][0]["node"]["id"]
    before = Counter(EXECUTIONS)
    data = await gql.data(CLIENT_DETAIL, {"id": client_id}, token=token)
    assert _delta(before) == {COMPILED: 1, CHECKED: 1}
    assert data["client"]["journalEntries"]["edges"]
    assert data["client"]["timeline"]["edges"]


async def test_many_pages_at_once_are_each_compiled_and_equal_graphql_cores(
    gql: GraphQLClient, demo: DemoPractice
) -> None:
    token = await demo_coach_token(gql)
    page = await gql.data("{ clients(first: 10) { edges { node { id } } } }", token=token)
    ids = [e["node"]["id"] for e in page["clients"]["edges"]]
    before = Counter(EXECUTIONS)
    answers = await asyncio.gather(
        *(gql(CLIENT_DETAIL, {"id": i}, token) for i in ids),
        *(gql(MY_CLIENTS, token=token) for _ in range(5)),
    )
    assert all(not a.get("errors") for a in answers)
    assert [a["data"]["client"]["id"] for a in answers[: len(ids)]] == ids
    assert _delta(before) == {COMPILED: 15, CHECKED: 15}


async def demo_coach_token(gql: GraphQLClient) -> str:
    login = await gql.data(
        'mutation { login(email: "coach@demo.example", password: "demo-password") { token } }'
    )
    token: str = login["login"]["token"]
    return token


@pytest.fixture
async def graphql_core(
    settings: Settings, app: Starlette
) -> AsyncIterator[tuple[GraphQLClient, Database]]:
    """The same app on the same database, answering every operation with graphql-core alone."""
    reference = create_app(settings.with_(compiled_queries=False), jobs=[])
    async with reference.router.lifespan_context(reference):
        transport = httpx.ASGITransport(app=reference)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http), reference.state.resources.db


@pytest.mark.without_execution_check
async def test_compiled_pages_run_no_more_statements_than_graphql_core_for_10_or_100_rows(
    gql: GraphQLClient, graphql_core: tuple[GraphQLClient, Database], practice: Practice
) -> None:
    sides = ((gql, practice.resources.db), graphql_core)
    pages = {
        "my clients": MY_CLIENTS_TABLE,
        "detail": DETAIL_TABS,
        "every column": MY_CLIENTS.replace("first: 50", "first: 100"),
        "client detail": CLIENT_DETAIL,
    }
    counts: dict[tuple[str, int], list[int]] = {}
    for n in (10, 100):
        coach = await practice.coach()
        await seed_clients(practice, coach, n)
        client = await practice.client(coach)
        await seed_detail(practice, coach, client, n)
        token = await practice.token(coach)
        for page, query in pages.items():
            variables = {"id": str(client.id)} if "$id" in query else {}
            for side, db in sides:
                await side.data(query, variables, token)  # both sides warm
                with count_statements(db) as statements:
                    assert await side.data(query, variables, token)
                counts.setdefault((page, n), []).append(len(statements))
    for (_page, _n), (compiled, reference) in counts.items():
        assert compiled <= reference, counts
    for page in ("my clients", "detail"):  # tests/clients: constant under graphql-core
        assert counts[page, 10][0] == counts[page, 100][0], counts
