"""The My Clients homework badge and the Homework tab's statuses, moved by the clock."""

from __future__ import annotations

from datetime import timedelta

from coach_graph import clock
from coach_graph.clients.models import ConsentStatus
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import add_catalogue, add_homework

CLIENTS = "{ clients { edges { node { id homeworkBadge } } } }"
HOMEWORK = """query($id: ID!) { client(id: $id) { homeworkBadge homework {
  id status assignedAt expiresAt completedAt lesson { id title module { id title } } } } }"""


async def badge(gql: GraphQLClient, token: str) -> str:
    data = await gql.data(CLIENTS, token=token)
    (edge,) = data["clients"]["edges"]
    return str(edge["node"]["homeworkBadge"])


async def test_badge_is_none_without_homework(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    await practice.client(coach)
    assert await badge(gql, await practice.token(coach)) == "NONE"


async def test_badge_moves_from_assigned_to_due_tomorrow_to_due_today_to_overdue(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token = await practice.token(coach)
    catalogue = await add_catalogue(practice.resources.db)
    # Due Thursday 2026-03-05 12:00 UTC; now is Monday 10:00 UTC.
    due = T0 + timedelta(days=3, hours=2)
    await add_homework(
        practice.resources.db, coach, client, catalogue.lesson("Breathing"), T0, expires_at=due
    )
    assert await badge(gql, token) == "ASSIGNED"
    manual_clock.set(T0 + timedelta(days=2))  # Wednesday 10:00
    assert await badge(gql, token) == "DUE_TOMORROW"
    manual_clock.set(T0 + timedelta(days=3))  # Thursday 10:00
    assert await badge(gql, token) == "DUE_TODAY"
    manual_clock.set(due)  # the expiry instant itself is past
    assert await badge(gql, token) == "OVERDUE"


async def test_due_today_is_the_coach_s_day_not_utc(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    # Auckland is UTC+13 in March: Monday 10:00 UTC is Monday 23:00 there.
    coach = await practice.coach(time_zone="Pacific/Auckland")
    client = await practice.client(coach)
    token = await practice.token(coach)
    catalogue = await add_catalogue(practice.resources.db)
    # Due Tuesday 09:00 UTC = Tuesday 22:00 Auckland: tomorrow in UTC, tomorrow in Auckland too.
    # Due Monday 11:30 UTC = Tuesday 00:30 Auckland: today in UTC, but tomorrow for the coach.
    await add_homework(
        practice.resources.db,
        coach,
        client,
        catalogue.lesson("Breathing"),
        T0,
        expires_at=T0 + timedelta(hours=1, minutes=30),
    )
    assert await badge(gql, token) == "DUE_TOMORROW"
    # Two hours later it is Tuesday 01:00 in Auckland and the expiry (00:30) has passed.
    manual_clock.advance(timedelta(hours=2))
    assert await badge(gql, token) == "OVERDUE"


async def test_due_today_for_a_coach_west_of_utc(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    # Los Angeles is UTC-8 on 2026-03-02: Monday 10:00 UTC is Monday 02:00 there.
    coach = await practice.coach(time_zone="America/Los_Angeles")
    client = await practice.client(coach)
    token = await practice.token(coach)
    catalogue = await add_catalogue(practice.resources.db)
    # Tuesday 05:00 UTC is still Monday 21:00 in Los Angeles: due today for this coach.
    await add_homework(
        practice.resources.db,
        coach,
        client,
        catalogue.lesson("Breathing"),
        T0,
        expires_at=T0 + timedelta(hours=19),
    )
    assert await badge(gql, token) == "DUE_TODAY"


async def test_badge_follows_the_most_recent_assignment(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token = await practice.token(coach)
    catalogue = await add_catalogue(practice.resources.db)
    db = practice.resources.db
    await add_homework(
        db,
        coach,
        client,
        catalogue.lesson("Breathing"),
        T0 - timedelta(days=9),
        expires_at=T0 - timedelta(days=2),
    )
    assert await badge(gql, token) == "OVERDUE"
    await add_homework(
        db,
        coach,
        client,
        catalogue.lesson("Body Scan"),
        T0 - timedelta(days=1),
        completed_at=T0 - timedelta(hours=1),
    )
    assert await badge(gql, token) == "COMPLETED"


async def test_badge_and_homework_ignore_another_coach_s_assignments(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    client = await practice.client(coach)
    await practice.link(other, client, ConsentStatus.GRANTED)
    catalogue = await add_catalogue(practice.resources.db)
    await add_homework(practice.resources.db, other, client, catalogue.lesson("Breathing"), T0)
    data = await gql.data(HOMEWORK, {"id": str(client.id)}, token=await practice.token(coach))
    assert data["client"] == {"homeworkBadge": "NONE", "homework": []}
    data = await gql.data(HOMEWORK, {"id": str(client.id)}, token=await practice.token(other))
    assert data["client"]["homeworkBadge"] == "ASSIGNED"
    assert len(data["client"]["homework"]) == 1


async def test_homework_tab_lists_every_assignment_newest_first_with_status(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    db = practice.resources.db
    done = await add_homework(
        db,
        coach,
        client,
        catalogue.lesson("Breathing"),
        T0 - timedelta(days=10),
        completed_at=T0 - timedelta(days=9),
    )
    late = await add_homework(
        db,
        coach,
        client,
        catalogue.lesson("Sleep Hygiene"),
        T0 - timedelta(days=5),
        expires_at=T0 - timedelta(days=1),
    )
    pending = await add_homework(db, coach, client, catalogue.lesson("Reframing"), T0)
    data = await gql.data(HOMEWORK, {"id": str(client.id)}, token=await practice.token(coach))
    rows = data["client"]["homework"]
    assert [r["id"] for r in rows] == [str(pending.id), str(late.id), str(done.id)]
    assert [r["status"] for r in rows] == ["ASSIGNED", "OVERDUE", "COMPLETED"]
    assert rows[0]["expiresAt"] is None
    assert rows[1]["expiresAt"] == "2026-03-01T10:00:00Z"
    assert rows[2]["completedAt"] == "2026-02-21T10:00:00Z"
    assert rows[1]["lesson"]["title"] == "Sleep Hygiene"
    assert rows[1]["lesson"]["module"]["title"] == "Sleep"


async def test_a_client_sees_homework_from_all_their_coaches(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    db = practice.resources.db
    await add_homework(db, coach, client, catalogue.lesson("Breathing"), T0 - timedelta(days=1))
    await add_homework(db, other, client, catalogue.lesson("Reframing"), T0)
    data = await gql.data(HOMEWORK, {"id": str(client.id)}, token=await practice.token(client))
    assert [r["lesson"]["title"] for r in data["client"]["homework"]] == ["Reframing", "Breathing"]
