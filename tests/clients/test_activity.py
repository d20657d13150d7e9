"""Last-active bands and days inactive, counted in the coach's calendar days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coach_graph import clock
from coach_graph.clients.models import ConsentStatus
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import set_last_active

CLIENTS = "{ clients { edges { node { id lastActiveAt activity daysInactive } } } }"


async def row(gql: GraphQLClient, token: str) -> dict[str, object]:
    data = await gql.data(CLIENTS, token=token)
    (edge,) = data["clients"]["edges"]
    node: dict[str, object] = edge["node"]
    return node


async def test_a_client_never_active_is_never_with_null_days(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    await practice.client(coach)
    node = await row(gql, await practice.token(coach))
    assert (node["activity"], node["daysInactive"], node["lastActiveAt"]) == ("NEVER", None, None)


@pytest.mark.parametrize(
    ("ago", "activity", "days"),
    [
        (timedelta(0), "ACTIVE", 0),
        (timedelta(hours=10), "ACTIVE", 0),  # 00:00 today
        (timedelta(hours=10, seconds=1), "ACTIVE", 1),  # 23:59:59 yesterday
        (timedelta(days=1, hours=10, seconds=1), "RECENT", 2),
        (timedelta(days=5), "RECENT", 5),
        (timedelta(days=5, hours=10, seconds=1), "INACTIVE", 6),
        (timedelta(days=40), "INACTIVE", 40),
    ],
)
async def test_activity_bands_follow_calendar_days(
    gql: GraphQLClient, practice: Practice, ago: timedelta, activity: str, days: int
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await set_last_active(practice.resources.db, client, T0 - ago)
    node = await row(gql, await practice.token(coach))
    assert (node["activity"], node["daysInactive"]) == (activity, days)


async def test_activity_moves_as_the_days_pass(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await set_last_active(practice.resources.db, client, T0)
    seen = []
    for _ in range(7):
        token = await practice.token(coach)  # tokens last a week; take a fresh one each day
        node = await row(gql, token)
        seen.append((node["activity"], node["daysInactive"]))
        manual_clock.advance(timedelta(days=1))
    assert seen == [
        ("ACTIVE", 0),
        ("ACTIVE", 1),
        ("RECENT", 2),
        ("RECENT", 3),
        ("RECENT", 4),
        ("RECENT", 5),
        ("INACTIVE", 6),
    ]


async def test_today_is_the_coach_s_day(gql: GraphQLClient, practice: Practice) -> None:
    # Now is Monday 10:00 UTC = Monday 23:00 in Auckland (UTC+13). The client was last active
    # Sunday 12:00 UTC = Monday 01:00 in Auckland: today for an Auckland coach, yesterday in UTC.
    auckland = await practice.coach(time_zone="Pacific/Auckland")
    utc = await practice.coach()
    client = await practice.client(auckland)
    await practice.link(utc, client, ConsentStatus.GRANTED)
    await set_last_active(practice.resources.db, client, T0 - timedelta(hours=22))
    assert (await row(gql, await practice.token(auckland)))["daysInactive"] == 0
    assert (await row(gql, await practice.token(utc)))["daysInactive"] == 1


async def test_a_client_s_own_token_makes_them_active(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await gql.data("{ viewer { id } }", token=await practice.token(client))
    await practice.resources.activity.flush()  # recorded in the background, off the request
    node = await row(gql, await practice.token(coach))
    assert (node["activity"], node["daysInactive"]) == ("ACTIVE", 0)
    assert node["lastActiveAt"] == "2026-03-02T10:00:00Z"
