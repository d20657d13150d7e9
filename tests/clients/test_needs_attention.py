"""Needs Attention: GRANTED clients inactive longer than the coach's inactivity rule."""

from __future__ import annotations

from datetime import timedelta

from coach_graph import clock
from coach_graph.clients.models import ConsentStatus
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import set_last_active

ATTENTION = "{ needsAttention { client { id name } daysInactive inactiveForDays } }"


async def test_clients_inactive_longer_than_the_threshold_need_attention(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    db = practice.resources.db
    seven = await practice.client(coach, "Seven days")
    eight = await practice.client(coach, "Eight days")
    thirty = await practice.client(coach, "Thirty days")
    await practice.client(coach, "Active today")
    await set_last_active(db, seven, T0 - timedelta(days=7))
    await set_last_active(db, eight, T0 - timedelta(days=8))
    await set_last_active(db, thirty, T0 - timedelta(days=30))
    data = await gql.data(ATTENTION, token=await practice.token(coach))
    # "Active today" was never active but linked today: not flagged yet.
    assert data["needsAttention"] == [
        {
            "client": {"id": str(thirty.id), "name": "Thirty days"},
            "daysInactive": 30,
            "inactiveForDays": 30,
        },
        {
            "client": {"id": str(eight.id), "name": "Eight days"},
            "daysInactive": 8,
            "inactiveForDays": 8,
        },
    ]


async def test_a_never_active_client_counts_from_the_day_they_were_linked(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)  # linked at T0, never active
    manual_clock.advance(timedelta(days=7))
    assert (await gql.data(ATTENTION, token=await practice.token(coach)))["needsAttention"] == []
    manual_clock.advance(timedelta(days=1))
    data = await gql.data(ATTENTION, token=await practice.token(coach))
    assert data["needsAttention"] == [
        {
            "client": {"id": str(client.id), "name": client.name},
            "daysInactive": None,
            "inactiveForDays": 8,
        }
    ]


async def test_the_threshold_counts_the_coach_s_calendar_days(
    gql: GraphQLClient, practice: Practice
) -> None:
    # 2026-02-22 12:00 UTC is 2026-02-23 01:00 in Auckland: 8 days ago in UTC, 7 there.
    auckland = await practice.coach(time_zone="Pacific/Auckland")
    utc = await practice.coach()
    client = await practice.client(auckland)
    await practice.link(utc, client, ConsentStatus.GRANTED)
    await set_last_active(practice.resources.db, client, T0 - timedelta(days=7, hours=22))
    assert (await gql.data(ATTENTION, token=await practice.token(auckland)))["needsAttention"] == []
    data = await gql.data(ATTENTION, token=await practice.token(utc))
    assert [c["daysInactive"] for c in data["needsAttention"]] == [8]


async def test_clients_without_consent_or_of_other_coaches_never_appear(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    db = practice.resources.db
    for c in (
        await practice.client(coach, consent=ConsentStatus.PENDING),
        await practice.client(coach, consent=ConsentStatus.DECLINED),
        await practice.client(other),
    ):
        await set_last_active(db, c, T0 - timedelta(days=60))
    assert (await gql.data(ATTENTION, token=await practice.token(coach)))["needsAttention"] == []


async def test_needs_attention_is_for_coaches(gql: GraphQLClient, practice: Practice) -> None:
    error = await gql.error(ATTENTION, token=await practice.token(await practice.client()))
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await gql.error(ATTENTION)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


SETTINGS = """mutation($on: Boolean!, $days: Int!) {
  updateAlertSettings(input: {inactivity: {enabled: $on, days: $days}}) { inactivity { days } }
}"""


async def test_needs_attention_follows_the_coach_s_inactivity_rule(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    four = await practice.client(coach, "Four days")
    await set_last_active(practice.resources.db, four, T0 - timedelta(days=4))
    assert (await gql.data(ATTENTION, token=token))["needsAttention"] == []

    await gql.data(SETTINGS, {"on": True, "days": 3}, token=token)
    flagged = (await gql.data(ATTENTION, token=token))["needsAttention"]
    assert [c["client"]["id"] for c in flagged] == [str(four.id)]

    await gql.data(SETTINGS, {"on": False, "days": 3}, token=token)
    assert (await gql.data(ATTENTION, token=token))["needsAttention"] == []
