"""createJournalEntry and the journalEntries connection: access, validation, pagination."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from coach_graph import clock
from coach_graph.clients.models import ConsentStatus
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry
from tests.conftest import GraphQLClient, Practice
from tests.journals.conftest import CREATE, Journals, coach_and_client

ENTRIES = """query($id: ID!, $first: Int, $after: String) {
  client(id: $id) {
    lastJournalAt
    journalEntries(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id createdAt content analysisStatus
        analysis { sentiment sentimentScore summary themes emotions { emotion score } } } }
    }
  }
}"""


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) or 0)


async def test_a_new_entry_is_stored_pending_and_returned_at_once(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    _, _, _, client_token = await coach_and_client(practice)
    data = await gql.data(CREATE, {"c": "Slept well and felt calm today."}, client_token)
    entry = data["createJournalEntry"]
    assert entry["analysisStatus"] == "PENDING"
    assert entry["analysis"] is None
    assert entry["content"] == "Slept well and felt calm today."
    assert entry["createdAt"] == "2026-03-02T10:00:00Z"


async def test_a_coach_cannot_write_an_entry(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    _, coach_token, _, _ = await coach_and_client(practice)
    error = await gql.error(CREATE, {"c": "hello"}, coach_token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await _count(db) == 0


async def test_writing_needs_a_token(gql: GraphQLClient, db: Database) -> None:
    error = await gql.error(CREATE, {"c": "hello"})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _count(db) == 0


async def test_empty_or_whitespace_only_text_is_refused_and_nothing_written(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    _, _, _, token = await coach_and_client(practice)
    for content in ["", "   \n\t  "]:
        error = await gql.error(CREATE, {"c": content}, token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "empty" in error["message"]
    assert await _count(db) == 0


async def test_text_over_20000_characters_is_refused_and_20000_accepted(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    _, _, _, token = await coach_and_client(practice)
    error = await gql.error(CREATE, {"c": "a" * 20_001}, token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "20,000" in error["message"]
    assert await _count(db) == 0
    entry = (await gql.data(CREATE, {"c": "b" * 20_000}, token))["createJournalEntry"]
    assert len(entry["content"]) == 20_000


async def test_control_characters_are_refused_but_newlines_and_tabs_kept(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    _, _, _, token = await coach_and_client(practice)
    for raw in ["Line one\x00", "a\x1b[31m", "a\x7f", "a\x85 end"]:
        error = await gql.error(CREATE, {"c": raw}, token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "`content`" in error["message"]
    assert await _count(db) == 0
    entry = await gql.data(CREATE, {"c": "Line one\r\nLine\ttwo end"}, token)
    assert entry["createJournalEntry"]["content"] == "Line one\nLine\ttwo end"


async def test_entries_are_newest_first_with_keyset_pages_and_a_total(
    gql: GraphQLClient, practice: Practice, journals: Journals, manual_clock: clock.ManualClock
) -> None:
    _, coach_token, client, token = await coach_and_client(practice)
    for i in range(5):
        await journals.write(token, f"Entry number {i}.")
        manual_clock.advance(timedelta(hours=1))
    first = (await gql.data(ENTRIES, {"id": str(client.id), "first": 2}, coach_token))["client"]
    page = first["journalEntries"]
    assert page["totalCount"] == 5
    assert [e["node"]["content"] for e in page["edges"]] == ["Entry number 4.", "Entry number 3."]
    assert page["pageInfo"]["hasNextPage"] is True
    seen = [e["node"]["content"] for e in page["edges"]]
    after = page["pageInfo"]["endCursor"]
    # A new entry between pages must not shift the pages already read.
    await journals.write(token, "Entry number 5.")
    while after:
        data = await gql.data(
            ENTRIES, {"id": str(client.id), "first": 2, "after": after}, coach_token
        )
        page = data["client"]["journalEntries"]
        seen += [e["node"]["content"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert seen == [f"Entry number {i}." for i in (4, 3, 2, 1, 0)]
    assert first["lastJournalAt"] == "2026-03-02T14:00:00Z"


async def test_analysis_is_null_until_analysed_then_complete(
    gql: GraphQLClient, practice: Practice, journals: Journals
) -> None:
    _, coach_token, client, token = await coach_and_client(practice)
    await journals.write(token, "I am so happy and grateful: my run this morning felt amazing!")
    variables = {"id": str(client.id)}
    node = (await gql.data(ENTRIES, variables, coach_token))["client"]["journalEntries"]["edges"][
        0
    ]["node"]
    assert (node["analysisStatus"], node["analysis"]) == ("PENDING", None)
    await journals.analyse()
    node = (await gql.data(ENTRIES, variables, coach_token))["client"]["journalEntries"]["edges"][
        0
    ]["node"]
    assert node["analysisStatus"] == "ANALYSED"
    analysis = node["analysis"]
    assert analysis["sentiment"] == "POSITIVE" and 0 < analysis["sentimentScore"] <= 1
    assert "exercise" in analysis["themes"]
    assert [e["emotion"] for e in analysis["emotions"]] == [
        "JOY", "TRUST", "FEAR", "SURPRISE", "SADNESS", "DISGUST", "ANGER", "ANTICIPATION",
    ]  # fmt: skip
    assert all(0 <= e["score"] <= 1 for e in analysis["emotions"])
    assert analysis["summary"]


async def test_a_coach_sees_journals_of_granted_clients_only(
    gql: GraphQLClient, practice: Practice, journals: Journals
) -> None:
    coach = await practice.coach()
    coach_token = await practice.token(coach)
    for consent in (ConsentStatus.PENDING, ConsentStatus.DECLINED):
        client = await practice.client(coach, consent=consent)
        await journals.write(await practice.token(client), "Private thoughts.")
        data = await gql.data(ENTRIES, {"id": str(client.id)}, coach_token)
        assert data["client"] is None
    stranger = await practice.client(await practice.coach())
    await journals.write(await practice.token(stranger), "Not yours.")
    assert (await gql.data(ENTRIES, {"id": str(stranger.id)}, coach_token))["client"] is None


async def test_a_client_sees_their_own_journal_and_no_one_elses(
    gql: GraphQLClient, practice: Practice, journals: Journals
) -> None:
    coach = await practice.coach()
    me = await practice.client(coach)
    other = await practice.client(coach)
    my_token = await practice.token(me)
    await journals.write(my_token, "Mine.")
    await journals.write(await practice.token(other), "Theirs.")
    mine = (await gql.data(ENTRIES, {"id": str(me.id)}, my_token))["client"]["journalEntries"]
    assert [e["node"]["content"] for e in mine["edges"]] == ["Mine."]
    assert (await gql.data(ENTRIES, {"id": str(other.id)}, my_token))["client"] is None


async def test_bad_page_arguments_are_bad_user_input(
    gql: GraphQLClient, practice: Practice
) -> None:
    _, coach_token, client, _ = await coach_and_client(practice)
    for variables in ({"first": 0}, {"first": 101}, {"after": "not-a-cursor"}):
        error = await gql.error(ENTRIES, {"id": str(client.id), **variables}, coach_token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
