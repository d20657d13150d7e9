from __future__ import annotations

from coach_graph.clients.models import ConsentStatus
from tests.alerts.conftest import History
from tests.conftest import GraphQLClient, Practice

STATS = """{ notificationStats {
  needsAttention overdueHomework inactiveClients journalInactive activeThisWeek
} }"""
UPDATE = """mutation($input: AlertSettingsInput!) {
  updateAlertSettings(input: $input) { inactivity { days } }
}"""


async def _practice(practice: Practice, history: History):  # type: ignore[no-untyped-def]
    coach = await practice.coach()
    # Active today, wrote yesterday; the latest homework 3 days overdue, an older one due
    # tomorrow; an even older overdue one was replaced by them (no longer counts).
    busy = await practice.client(coach)
    await history.linked(coach, busy, 100)
    await history.active(busy, 0)
    await history.journal(busy, 1)
    await history.homework(coach, busy, expired_days_ago=20, assigned_days_ago=50)
    await history.homework(coach, busy, expired_days_ago=-1, assigned_days_ago=40)
    await history.homework(coach, busy, expired_days_ago=3)
    # Active 8 days ago (not this week), journal 10 days ago.
    fading = await practice.client(coach)
    await history.linked(coach, fading, 100)
    await history.active(fading, 8)
    await history.journal(fading, 10)
    await history.homework(coach, fading, expired_days_ago=0.5)  # under the threshold
    # Never active, linked 2 days ago: not yet flagged, but not active within the threshold.
    newcomer = await practice.client(coach)
    await history.linked(coach, newcomer, 2)
    # Not GRANTED: never counted.
    hidden = await practice.client(coach, consent=ConsentStatus.PENDING)
    await history.linked(coach, hidden, 100)
    await history.homework(coach, hidden, expired_days_ago=10)
    return coach


async def test_notification_stats_count_the_coachs_granted_clients(
    gql: GraphQLClient, practice: Practice, history: History
) -> None:
    coach = await _practice(practice, history)
    token = await practice.token(coach)
    assert (await gql.data(STATS, token=token))["notificationStats"] == {
        "needsAttention": 1,  # fading: 8 days > 7
        "overdueHomework": 1,  # busy's 3-day-late lesson
        "inactiveClients": 2,  # fading, and newcomer who never was active
        "journalInactive": 1,  # fading: 10 days > 7
        "activeThisWeek": 1,  # busy
    }


async def test_a_disabled_rule_counts_zero_and_thresholds_apply(
    gql: GraphQLClient, practice: Practice, history: History
) -> None:
    coach = await _practice(practice, history)
    token = await practice.token(coach)
    await gql.data(
        UPDATE,
        {
            "input": {
                "inactivity": {"enabled": False, "days": 7},
                "homework": {"enabled": True, "days": 5},
                "journal": {"enabled": True, "days": 1},
            }
        },
        token,
    )
    assert (await gql.data(STATS, token=token))["notificationStats"] == {
        "needsAttention": 0,
        "overdueHomework": 0,
        "inactiveClients": 0,
        "journalInactive": 2,  # fading (10 days) and newcomer (linked 2 days ago, no entry)
        "activeThisWeek": 1,
    }


async def test_stats_are_for_coaches_only(gql: GraphQLClient, practice: Practice) -> None:
    client_token = await practice.token(await practice.client())
    assert (await gql.error(STATS, token=client_token))["extensions"]["code"] == "FORBIDDEN"
