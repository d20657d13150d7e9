"""Queries are bounded by a static cost, computed from the document and variables before they
run."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from graphql import parse

from coach_graph.cost import operation_cost
from coach_graph.db import Database
from coach_graph.schema import build_schema
from tests.conftest import GraphQLClient, Practice, count_statements

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "benchmarks"))
import bench_alerts
import bench_graph
import bench_sessions

LIMIT = 5000
SCHEMA = build_schema()._schema

# Issue 9's hostile document: 15 aliases of clients -> timeline and journal entries.
HOSTILE = (
    "{ "
    + " ".join(
        f"c{i}: clients {{ edges {{ node {{ timeline {{ edges {{ node {{ id title }} }} }} "
        f"journalEntries {{ edges {{ node {{ id content }} }} }} }} }} }}"
        for i in range(15)
    )
    + " }"
)


def cost(document: str, variables: dict[str, object] | None = None) -> int:
    return operation_cost(SCHEMA, parse(document), None, variables)


# The exact cost of each seed page's query: a change to the schema or the rule shows here.
DASHBOARD = {
    "My Clients": (bench_graph.MY_CLIENTS, 102),
    "client detail": (bench_graph.CLIENT_DETAIL, 1160),
    "login": (bench_graph.LOGIN, 1),
    "client history": (bench_sessions.HISTORY, 152),
    "session stats": (bench_sessions.STATS, 3),
    "analytics": (bench_sessions.ANALYTICS, 41),
    "alert feed": (bench_alerts.SUBSCRIPTION, 2),
    "alert settings": (bench_alerts.SAVE, 2),
}


@pytest.mark.parametrize("page", DASHBOARD)
def test_every_dashboard_query_costs_well_under_the_limit(page: str) -> None:
    document, expected = DASHBOARD[page]
    found = cost(document)
    print(f"{page}: {found}")
    assert found == expected
    assert found <= LIMIT * 0.4


def test_an_object_costs_one_times_the_pages_above_it_and_scalars_are_free() -> None:
    # 1 connection + 50 edges + 50 clients + 50 * (1 timeline + 50 edges + 50 items)
    assert cost("{ clients { edges { node { timeline { edges { node { id } } } } } } }") == 5151
    assert cost("{ clients(first: 2) { totalCount pageInfo { hasNextPage } } }") == 2
    assert cost("{ viewer { id email } }") == 1
    # A plain list without a page argument counts 20 items; `first` sizes a list that has one.
    assert cost("{ needsAttention { daysInactive } }") == 20
    assert cost("{ lessons(first: 5) { id module { id } } }") == 10
    # Emotion scores are always eight: 1 client + 15 points + 15 * 8 scores.
    assert cost("{ client(id: 1) { recentEmotions { scores { score } } } }") == 136


def test_page_sizes_come_from_variables_their_defaults_or_the_schema() -> None:
    query = "query($n: Int = 3) { clients(first: $n) { edges { node { id } } } }"
    assert cost(query, {"n": 10}) == 21
    assert cost(query, {}) == 7
    assert cost(query, {"n": None}) == 101  # null: the field's own default (50)


def test_fragments_and_inline_fragments_count_as_written_out() -> None:
    spread = """query { clients(first: 10) { edges { ...E } } }
        fragment E on ClientEdge { node { ... on Client { homework { id } } } }"""
    assert (
        cost(spread)
        == cost("{ clients(first: 10) { edges { node { homework { id } } } } }")
        == 1 + 10 + 10 + 200
    )


def test_introspection_is_free() -> None:
    assert cost("{ __schema { types { name fields { name type { name } } } } }") == 0


async def test_issue_9s_hostile_query_is_refused_before_the_database(
    gql: GraphQLClient, db: Database
) -> None:
    with count_statements(db) as statements:
        body = await gql(HOSTILE)
    error = body["errors"][0]
    assert body.get("data") is None
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": 108_015, "costLimit": LIMIT}
    assert statements == []


async def test_a_coach_s_costly_query_runs_no_statement_beyond_authentication(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    token = await practice.token(await practice.coach())
    await gql("{ __typename }", token=token)  # the viewer's activity is recorded once
    with count_statements(db) as baseline:
        await gql("{ __typename }", token=token)
    with count_statements(db) as statements:
        error = await gql.error(HOSTILE, token=token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(statements) == len(baseline)


async def test_a_variable_page_size_is_costed_with_its_value(
    gql: GraphQLClient, practice: Practice
) -> None:
    token = await practice.token(await practice.coach())
    query = """query($n: Int) { clients(first: $n) { edges { node {
        timeline(first: $n) { edges { node { id } } } } } } }"""
    assert (await gql.data(query, {"n": 40}, token))["clients"]["edges"] == []
    error = await gql.error(query, {"n": 80}, token)
    assert error["extensions"]["cost"] == 1 + 80 + 80 + 80 * (1 + 80 + 80)
    assert error["extensions"]["costLimit"] == LIMIT


async def test_a_document_is_costed_again_for_each_page_size_it_is_sent_with(
    gql: GraphQLClient, practice: Practice
) -> None:
    """The cost of a document is kept per value of its page-size variables: other variables
    share it, a new page size is costed anew, at once too."""
    coach = await practice.coach()
    token = await practice.token(coach)
    query = """query($n: Int, $search: String) { clients(first: $n, search: $search) {
        edges { node { timeline(first: $n) { edges { node { id } } } } } } }"""
    for search in ("a", "b", None):
        assert "clients" in await gql.data(query, {"n": 40, "search": search}, token)
    error = await gql.error(query, {"n": 80, "search": "a"}, token)
    assert error["extensions"]["cost"] == 1 + 80 + 80 + 80 * (1 + 80 + 80)
    assert "clients" in await gql.data(query, {"n": 40, "search": "a"}, token)
    results = await asyncio.gather(
        *(gql(query, {"n": n, "search": None}, token) for n in (40, 80, 40, 80))
    )
    costs = [r["errors"][0]["extensions"]["cost"] if "errors" in r else None for r in results]
    for odd in ([40], {"n": 40}):  # unhashable page sizes: costed, not kept, refused as input
        refused = await gql.error(query, {"n": odd, "search": None}, token)
        assert refused["extensions"]["code"] == "BAD_USER_INPUT"
    assert costs == [None, error["extensions"]["cost"]] * 2


async def test_the_limit_is_a_setting(gql: GraphQLClient, practice: Practice) -> None:
    from coach_graph.config import Settings

    assert Settings.from_env({"QUERY_COST_LIMIT": "100"}).query_cost_limit == 100
    assert Settings.from_env({}).query_cost_limit == LIMIT
