"""Assigning homework (coach) and completing it (client), with their refusals."""

from __future__ import annotations

from datetime import timedelta

from coach_graph import clock
from coach_graph.clients.models import ConsentStatus
from coach_graph.homework.models import Homework
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import add_catalogue, add_homework, count_rows

ASSIGN = """mutation($c: ID!, $l: ID!, $e: DateTime) {
  assignHomework(clientId: $c, lessonId: $l, expiresAt: $e) {
    id status assignedAt expiresAt completedAt lesson { title module { title } } } }"""
COMPLETE = "mutation($id: ID!) { completeHomework(id: $id) { id status completedAt } }"
BADGE = "{ clients { edges { node { homeworkBadge } } } }"


async def test_assigning_homework_shows_at_once_in_the_client_table(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token = await practice.token(coach)
    catalogue = await add_catalogue(practice.resources.db)
    data = await gql.data(
        ASSIGN,
        {
            "c": str(client.id),
            "l": str(catalogue.lesson("Reframing").id),
            "e": "2026-03-03T12:00:00+01:00",
        },
        token=token,
    )
    assert data["assignHomework"] == {
        "id": data["assignHomework"]["id"],
        "status": "ASSIGNED",
        "assignedAt": "2026-03-02T10:00:00Z",
        "expiresAt": "2026-03-03T11:00:00Z",
        "completedAt": None,
        "lesson": {"title": "Reframing", "module": {"title": "Stress"}},
    }
    badge = (await gql.data(BADGE, token=token))["clients"]["edges"][0]["node"]["homeworkBadge"]
    assert badge == "DUE_TOMORROW"


async def test_assigning_without_expiry_is_allowed(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    data = await gql.data(
        ASSIGN,
        {"c": str(client.id), "l": str(catalogue.lesson("Breathing").id)},
        token=await practice.token(coach),
    )
    assert data["assignHomework"]["expiresAt"] is None


async def test_expiry_less_than_one_day_ahead_is_refused_and_nothing_is_written(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token = await practice.token(coach)
    catalogue = await add_catalogue(practice.resources.db)
    for expiry in ("2026-03-03T09:59:59Z", "2026-03-02T09:00:00Z"):
        error = await gql.error(
            ASSIGN,
            {"c": str(client.id), "l": str(catalogue.lesson("Breathing").id), "e": expiry},
            token=token,
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "at least one day" in error["message"]
    assert await count_rows(practice.resources.db, Homework) == 0
    # Exactly one day ahead is enough.
    await gql.data(
        ASSIGN,
        {
            "c": str(client.id),
            "l": str(catalogue.lesson("Breathing").id),
            "e": "2026-03-03T10:00:00Z",
        },
        token=token,
    )


async def test_a_naive_expiry_is_refused(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    error = await gql.error(
        ASSIGN,
        {
            "c": str(client.id),
            "l": str(catalogue.lesson("Breathing").id),
            "e": "2026-03-09T10:00:00",
        },
        token=await practice.token(coach),
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "offset" in error["message"]
    assert await count_rows(practice.resources.db, Homework) == 0


async def test_assigning_to_a_foreign_or_pending_client_is_not_found(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    foreign = await practice.client(other)
    pending = await practice.client(coach, consent=ConsentStatus.PENDING)
    catalogue = await add_catalogue(practice.resources.db)
    token = await practice.token(coach)
    for client_id in (str(foreign.id), str(pending.id), "999999", "not-an-id"):
        error = await gql.error(
            ASSIGN, {"c": client_id, "l": str(catalogue.lesson("Breathing").id)}, token=token
        )
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert await count_rows(practice.resources.db, Homework) == 0


async def test_assigning_an_unknown_lesson_is_not_found(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    error = await gql.error(
        ASSIGN, {"c": str(client.id), "l": "4242"}, token=await practice.token(coach)
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert await count_rows(practice.resources.db, Homework) == 0


async def test_a_client_cannot_assign_homework(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    error = await gql.error(
        ASSIGN,
        {"c": str(client.id), "l": str(catalogue.lesson("Breathing").id)},
        token=await practice.token(client),
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_completing_homework_marks_it_completed_and_again_changes_nothing(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    hw = await add_homework(
        practice.resources.db,
        coach,
        client,
        catalogue.lesson("Breathing"),
        T0,
        expires_at=T0 + timedelta(days=2),
    )
    token = await practice.token(client)
    manual_clock.advance(timedelta(hours=3))
    first = await gql.data(COMPLETE, {"id": str(hw.id)}, token=token)
    assert first["completeHomework"] == {
        "id": str(hw.id),
        "status": "COMPLETED",
        "completedAt": "2026-03-02T13:00:00Z",
    }
    manual_clock.advance(timedelta(days=5))  # past the expiry: still COMPLETED, same time
    again = await gql.data(COMPLETE, {"id": str(hw.id)}, token=token)
    assert again == first
    badge = await gql.data(BADGE, token=await practice.token(coach))
    assert badge["clients"]["edges"][0]["node"]["homeworkBadge"] == "COMPLETED"


async def test_an_overdue_homework_can_still_be_completed(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    hw = await add_homework(
        practice.resources.db,
        coach,
        client,
        catalogue.lesson("Breathing"),
        T0 - timedelta(days=4),
        expires_at=T0 - timedelta(days=1),
    )
    data = await gql.data(COMPLETE, {"id": str(hw.id)}, token=await practice.token(client))
    assert data["completeHomework"]["status"] == "COMPLETED"


async def test_completing_someone_else_s_homework_is_not_found(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client, other = await practice.client(coach), await practice.client(coach)
    catalogue = await add_catalogue(practice.resources.db)
    hw = await add_homework(practice.resources.db, coach, client, catalogue.lesson("Breathing"), T0)
    for hid in (str(hw.id), "999999", "x"):
        error = await gql.error(COMPLETE, {"id": hid}, token=await practice.token(other))
        assert error["extensions"]["code"] == "NOT_FOUND"
    error = await gql.error(COMPLETE, {"id": str(hw.id)}, token=await practice.token(coach))
    assert error["extensions"]["code"] == "FORBIDDEN"
    async with practice.resources.db.session() as session:
        row = await session.get(Homework, hw.id)
    assert row is not None and row.completed_at is None
