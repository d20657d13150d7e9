"""generateJournalSummary, summaries and canGenerateSummary."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry, JournalSummary
from tests.conftest import GraphQLClient, Practice
from tests.journals.conftest import Journals, coach_and_client

GENERATE = """mutation($id: ID!) {
  generateJournalSummary(clientId: $id) {
    id journalCount summary emotionTrend periodStart periodEnd createdAt
  }
}"""
STATE = """query($id: ID!) {
  client(id: $id) { canGenerateSummary summaries { id journalCount periodStart periodEnd } }
}"""

SAD = "I felt sad and lonely all day, crying after the argument with my sister."
HAPPY = "A joyful day: I laughed with friends and felt grateful and calm."


async def _write_days(
    journals: Journals, token: str, texts: list[str], manual_clock: clock.ManualClock
) -> None:
    for text in texts:
        await journals.write(token, text)
        manual_clock.advance(timedelta(days=1))
    await journals.analyse()


async def _summaries(db: Database) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(JournalSummary)) or 0
        )


async def test_a_summary_consolidates_every_uncovered_analysed_entry(
    gql: GraphQLClient, practice: Practice, journals: Journals, manual_clock: clock.ManualClock
) -> None:
    _, coach_token, client, token = await coach_and_client(practice)
    await _write_days(journals, token, [SAD, SAD, HAPPY, HAPPY], manual_clock)
    variables = {"id": str(client.id)}
    assert (await gql.data(STATE, variables, coach_token))["client"]["canGenerateSummary"]
    summary = (await gql.data(GENERATE, variables, coach_token))["generateJournalSummary"]
    assert summary["journalCount"] == 4
    assert summary["periodStart"] == "2026-03-02T10:00:00Z"
    assert summary["periodEnd"] == "2026-03-05T10:00:00Z"
    assert summary["summary"].startswith("4 entries from 2 Mar 2026 to 5 Mar 2026")
    # Sad first half, happy second half: the trend says so, from the scores.
    trend = summary["emotionTrend"]
    rose, _, rest = trend.lower().partition(" rose")
    fell = rest.partition(" fell")[0]
    assert "joy" in rose and "sadness" in fell, trend
    assert "Sentiment improved" in trend
    state = (await gql.data(STATE, variables, coach_token))["client"]
    assert state["canGenerateSummary"] is False
    assert [s["id"] for s in state["summaries"]] == [summary["id"]]


async def test_fewer_than_three_uncovered_entries_is_bad_user_input(
    gql: GraphQLClient,
    practice: Practice,
    journals: Journals,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    _, coach_token, client, token = await coach_and_client(practice)
    await _write_days(journals, token, [HAPPY, HAPPY], manual_clock)
    await journals.write(token, "Pending, not analysed yet.")  # pending entries do not count
    variables = {"id": str(client.id)}
    assert (await gql.data(STATE, variables, coach_token))["client"]["canGenerateSummary"] is False
    error = await gql.error(GENERATE, variables, coach_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at least 3" in error["message"]
    assert await _summaries(db) == 0


async def test_an_entry_is_covered_by_one_summary_and_the_next_needs_three_new(
    gql: GraphQLClient, practice: Practice, journals: Journals, manual_clock: clock.ManualClock
) -> None:
    _, coach_token, client, token = await coach_and_client(practice)
    variables = {"id": str(client.id)}
    await _write_days(journals, token, [HAPPY] * 3, manual_clock)
    await gql.data(GENERATE, variables, coach_token)
    await _write_days(journals, token, [SAD] * 2, manual_clock)
    assert (await gql.error(GENERATE, variables, coach_token))["extensions"]["code"] == (
        "BAD_USER_INPUT"
    )
    await _write_days(journals, token, [SAD], manual_clock)
    second = (await gql.data(GENERATE, variables, coach_token))["generateJournalSummary"]
    assert second["journalCount"] == 3
    summaries = (await gql.data(STATE, variables, coach_token))["client"]["summaries"]
    assert [s["journalCount"] for s in summaries] == [3, 3]
    assert summaries[0]["id"] == second["id"]  # newest first


async def test_concurrent_requests_never_cover_an_entry_twice(
    gql: GraphQLClient,
    practice: Practice,
    journals: Journals,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    _, coach_token, client, token = await coach_and_client(practice)
    await _write_days(journals, token, [HAPPY, SAD, HAPPY, SAD], manual_clock)
    variables = {"id": str(client.id)}
    results = await asyncio.gather(*(gql(GENERATE, variables, coach_token) for _ in range(3)))
    succeeded = [r for r in results if not r.get("errors")]
    refused = [r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")]
    assert len(succeeded) == 1
    assert set(refused) <= {"CONFLICT", "BAD_USER_INPUT"} and len(refused) == 2
    assert await _summaries(db) == 1
    async with db.session() as session:
        covered = (await session.scalars(sa.select(col(JournalEntry.summary_id)))).all()
    assert covered == [int(succeeded[0]["data"]["generateJournalSummary"]["id"])] * 4


async def test_a_foreign_client_is_not_found_and_a_client_may_not_generate(
    gql: GraphQLClient,
    practice: Practice,
    journals: Journals,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    _, _, client, token = await coach_and_client(practice)
    await _write_days(journals, token, [HAPPY] * 3, manual_clock)
    other_coach_token = await practice.token(await practice.coach())
    error = await gql.error(GENERATE, {"id": str(client.id)}, other_coach_token)
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await gql.error(GENERATE, {"id": "nonsense"}, other_coach_token)
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await gql.error(GENERATE, {"id": str(client.id)}, token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await _summaries(db) == 0
