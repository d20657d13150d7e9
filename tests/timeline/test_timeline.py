"""The activity timeline: four kinds merged newest first, keyset pages, and refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from coach_graph.accounts.models import User
from coach_graph.clients.models import ConsentStatus
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import add_catalogue, add_homework, add_journal, add_submission, add_survey

TIMELINE = """query($id: ID!, $f: Int, $a: String) { client(id: $id) {
  timeline(first: $f, after: $a) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind title description occurredAt subjectId } } } } }"""


async def page(
    gql: GraphQLClient, token: str, client: User, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"id": str(client.id), "a": after}
    if first is not None:
        variables["f"] = first
    data = await gql.data(TIMELINE, variables, token=token)
    timeline: dict[str, Any] = data["client"]["timeline"]
    return timeline


async def test_timeline_merges_the_four_kinds_newest_first(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    survey, questions = await add_survey(db, "Weekly check-in", [("Mood?", True)])
    long_text = "Slept badly again; " * 10
    raw = await add_journal(db, client, T0 - timedelta(days=1), long_text)
    analysed = await add_journal(
        db, client, T0 - timedelta(hours=5), "Great day at work.", summary="A good, calm day."
    )
    hw = await add_homework(
        db,
        coach,
        client,
        catalogue.lesson("Body Scan"),
        T0 - timedelta(days=2),
        completed_at=T0 - timedelta(hours=2),
    )
    sub = await add_submission(
        db, client, survey, T0 - timedelta(hours=1), {questions[0].id or 0: "8"}
    )
    timeline = await page(gql, await practice.token(coach), client)
    nodes = [e["node"] for e in timeline["edges"]]
    assert nodes == [
        {
            "id": f"survey-{sub.id}",
            "kind": "SURVEY_SUBMITTED",
            "title": "Survey submitted: Weekly check-in",
            "description": None,
            "occurredAt": "2026-03-02T09:00:00Z",
            "subjectId": str(sub.id),
        },
        {
            "id": f"completed-{hw.id}",
            "kind": "LESSON_COMPLETED",
            "title": "Lesson completed: Body Scan",
            "description": "Module: Mindfulness Basics",
            "occurredAt": "2026-03-02T08:00:00Z",
            "subjectId": str(hw.id),
        },
        {
            "id": f"journal-{analysed.id}",
            "kind": "JOURNAL_ENTRY",
            "title": "Journal entry",
            "description": "A good, calm day.",
            "occurredAt": "2026-03-02T05:00:00Z",
            "subjectId": str(analysed.id),
        },
        {
            "id": f"journal-{raw.id}",
            "kind": "JOURNAL_ENTRY",
            "title": "Journal entry",
            "description": long_text[:80],
            "occurredAt": "2026-03-01T10:00:00Z",
            "subjectId": str(raw.id),
        },
        {
            "id": f"assigned-{hw.id}",
            "kind": "LESSON_ASSIGNED",
            "title": "Lesson assigned: Body Scan",
            "description": "Module: Mindfulness Basics",
            "occurredAt": "2026-02-28T10:00:00Z",
            "subjectId": str(hw.id),
        },
    ]
    assert timeline["totalCount"] == 5
    assert timeline["pageInfo"]["hasNextPage"] is False


async def test_pages_follow_each_other_without_gaps_or_repeats(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    # 12 journal entries and 6 assignments; some share an instant to exercise the tie-break.
    for i in range(12):
        await add_journal(db, client, T0 - timedelta(hours=i // 2), f"entry {i}")
    for i in range(6):
        await add_homework(
            db, coach, client, catalogue.lesson("Breathing"), T0 - timedelta(hours=i)
        )
    token = await practice.token(coach)
    everything = await page(gql, token, client, first=100)
    expected = [e["node"]["id"] for e in everything["edges"]]
    assert len(expected) == 18 == everything["totalCount"]
    seen: list[str] = []
    after = None
    while True:
        p = await page(gql, token, client, first=5, after=after)
        seen += [e["node"]["id"] for e in p["edges"]]
        assert p["totalCount"] == 18
        assert p["pageInfo"]["endCursor"] == (p["edges"][-1]["cursor"] if p["edges"] else None)
        if not p["pageInfo"]["hasNextPage"]:
            break
        after = p["pageInfo"]["endCursor"]
    assert seen == expected
    # Newest first; at the same instant a journal entry comes before an assignment.
    keys = [
        (e["node"]["occurredAt"], e["node"]["kind"] == "JOURNAL_ENTRY") for e in everything["edges"]
    ]
    assert keys == sorted(keys, reverse=True)
    assert everything["edges"][0]["node"]["kind"] == "JOURNAL_ENTRY"
    assert everything["edges"][2]["node"]["kind"] == "LESSON_ASSIGNED"


async def test_new_items_do_not_shift_a_page_already_reached(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    db = practice.resources.db
    for i in range(6):
        await add_journal(db, client, T0 - timedelta(days=i), f"entry {i}")
    token = await practice.token(coach)
    first = await page(gql, token, client, first=3)
    await add_journal(db, client, T0 + timedelta(minutes=1), "newest")
    second = await page(gql, token, client, first=3, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["description"] for e in second["edges"]] == [
        "entry 3",
        "entry 4",
        "entry 5",
    ]


async def test_a_coach_sees_only_their_own_homework_on_the_timeline(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    client = await practice.client(coach)
    await practice.link(other, client, ConsentStatus.GRANTED)
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    await add_homework(db, other, client, catalogue.lesson("Breathing"), T0)
    await add_journal(db, client, T0, "shared with both coaches")
    mine = await page(gql, await practice.token(coach), client)
    assert [e["node"]["kind"] for e in mine["edges"]] == ["JOURNAL_ENTRY"]
    assert mine["totalCount"] == 1
    theirs = await page(gql, await practice.token(other), client)
    assert [e["node"]["kind"] for e in theirs["edges"]] == ["JOURNAL_ENTRY", "LESSON_ASSIGNED"]
    own = await page(gql, await practice.token(client), client)
    assert own["totalCount"] == 2


async def test_an_empty_timeline(gql: GraphQLClient, practice: Practice) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    timeline = await page(gql, await practice.token(coach), client)
    assert timeline == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


@pytest.mark.parametrize("first", [0, 101])
async def test_first_outside_1_to_100_is_refused(
    gql: GraphQLClient, practice: Practice, first: int
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    body = await gql(
        TIMELINE, {"id": str(client.id), "f": first}, token=await practice.token(coach)
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] == {"client": None}


@pytest.mark.parametrize("cursor", ["garbage!", "WyJ4Il0", "WzEsMiwzXQ"])
async def test_a_malformed_cursor_is_refused(
    gql: GraphQLClient, practice: Practice, cursor: str
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    error = await gql.error(
        TIMELINE, {"id": str(client.id), "a": cursor}, token=await practice.token(coach)
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
