from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.alerts.evaluator import evaluate
from coach_graph.alerts.models import Alert
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.db import Database
from tests.alerts.conftest import History
from tests.conftest import GraphQLClient, Practice

ALERTS = """query($first: Int, $after: String, $all: Boolean) {
  alerts(first: $first, after: $after, includeDismissed: $all) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title category severity message createdAt dismissedAt client { id } } }
  }
}"""
DISMISS = "mutation($id: ID!) { dismissAlert(id: $id) { id dismissedAt } }"


async def _raise_three(
    practice: Practice, history: History, db: Database, manual_clock: clock.ManualClock
):  # type: ignore[no-untyped-def]
    coach = await practice.coach()
    clients = []
    for i in range(3):
        client = await practice.client(coach, name=f"C{i}")
        await history.linked(coach, client, 60)
        await history.journal(client, 0)
        await history.active(client, 10)
        await evaluate(db)
        manual_clock.advance(timedelta(minutes=5))
        clients.append(client)
    return coach, clients


async def test_alerts_are_listed_newest_first_a_page_at_a_time(
    gql: GraphQLClient,
    practice: Practice,
    history: History,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    coach, clients = await _raise_three(practice, history, db, manual_clock)
    token = await practice.token(coach)
    page = (await gql.data(ALERTS, {"first": 2}, token))["alerts"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["client"]["id"] for e in page["edges"]] == [
        str(clients[2].id),
        str(clients[1].id),
    ]
    rest = (await gql.data(ALERTS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token))[
        "alerts"
    ]
    assert [e["node"]["client"]["id"] for e in rest["edges"]] == [str(clients[0].id)]
    assert rest["pageInfo"]["hasNextPage"] is False
    node = rest["edges"][0]["node"]
    assert node["category"] == "INACTIVITY" and node["severity"] == "WARNING"
    assert node["title"] == "C0 is inactive" and node["dismissedAt"] is None


async def test_a_dismissed_alert_leaves_the_default_list(
    gql: GraphQLClient,
    practice: Practice,
    history: History,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    coach, _ = await _raise_three(practice, history, db, manual_clock)
    token = await practice.token(coach)
    newest = (await gql.data(ALERTS, {}, token))["alerts"]["edges"][0]["node"]["id"]
    dismissed = (await gql.data(DISMISS, {"id": newest}, token))["dismissAlert"]
    assert dismissed["id"] == newest and dismissed["dismissedAt"] == "2026-03-02T10:15:00Z"
    manual_clock.advance(timedelta(hours=1))
    again = (await gql.data(DISMISS, {"id": newest}, token))["dismissAlert"]
    assert again["dismissedAt"] == dismissed["dismissedAt"]  # the first dismissal counts
    listed = (await gql.data(ALERTS, {}, token))["alerts"]
    assert listed["totalCount"] == 2 and newest not in [e["node"]["id"] for e in listed["edges"]]
    everything = (await gql.data(ALERTS, {"all": True}, token))["alerts"]
    assert everything["totalCount"] == 3
    assert everything["edges"][0]["node"]["dismissedAt"] == dismissed["dismissedAt"]


async def test_dismissing_another_coachs_or_an_unknown_alert_is_not_found_and_writes_nothing(
    gql: GraphQLClient,
    practice: Practice,
    history: History,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    owner, _ = await _raise_three(practice, history, db, manual_clock)
    other = await practice.token(await practice.coach())
    owner_token = await practice.token(owner)
    alert_id = (await gql.data(ALERTS, {}, owner_token))["alerts"]["edges"][0]["node"]["id"]
    foreign = await gql.error(DISMISS, {"id": alert_id}, other)
    unknown = await gql.error(DISMISS, {"id": "999999"}, other)
    garbage = await gql.error(DISMISS, {"id": "not-an-id"}, other)
    for error in (foreign, unknown, garbage):
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert foreign["message"] == f"No alert with id {alert_id}."
    async with db.session() as session:
        dismissed = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Alert)
            .where(col(Alert.dismissed_at).is_not(None))
        )
    assert dismissed == 0
    client_token = await practice.token(await practice.client())
    assert (await gql.error(DISMISS, {"id": alert_id}, client_token))["extensions"][
        "code"
    ] == "FORBIDDEN"
    assert (await gql.error(ALERTS, {}, client_token))["extensions"]["code"] == "FORBIDDEN"


async def test_an_alerts_client_is_null_once_the_coach_may_no_longer_see_them(
    gql: GraphQLClient,
    practice: Practice,
    history: History,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    coach, clients = await _raise_three(practice, history, db, manual_clock)
    async with db.transaction() as session:
        await session.execute(
            sa.update(CoachClient)
            .where(col(CoachClient.client_id) == clients[2].id)
            .values(consent=ConsentStatus.DECLINED)
        )
    token = await practice.token(coach)
    nodes = [e["node"] for e in (await gql.data(ALERTS, {}, token))["alerts"]["edges"]]
    assert [n["client"] for n in nodes] == [
        None,
        {"id": str(clients[1].id)},
        {"id": str(clients[0].id)},
    ]


async def test_page_size_and_cursor_are_checked(gql: GraphQLClient, practice: Practice) -> None:
    token = await practice.token(await practice.coach())
    assert (await gql.error(ALERTS, {"first": 101}, token))["extensions"][
        "code"
    ] == "BAD_USER_INPUT"
    assert (await gql.error(ALERTS, {"after": "bogus"}, token))["extensions"][
        "code"
    ] == "BAD_USER_INPUT"
