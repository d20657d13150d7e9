"""recentEmotions and emotionsOverTime: last entries, one point per day in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coach_graph import clock
from tests.conftest import GraphQLClient, Practice
from tests.journals.conftest import Journals

RECENT = """query($id: ID!, $last: Int) {
  client(id: $id) { recentEmotions(last: $last) { at sentimentScore scores { emotion score } } }
}"""
OVER_TIME = """query($id: ID!, $range: EmotionRange!) {
  client(id: $id) {
    emotionsOverTime(range: $range) { at day sentimentScore scores { emotion score } }
  }
}"""

JOY = "Happy, joyful, delighted."
SAD = "Sad, sad, miserable and crying."


def _score(point: dict[str, object], emotion: str) -> float:
    scores = point["scores"]
    assert isinstance(scores, list)
    return float(next(s["score"] for s in scores if s["emotion"] == emotion))


async def test_recent_emotions_are_the_last_analysed_entries_oldest_first(
    gql: GraphQLClient, practice: Practice, journals: Journals, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token, coach_token = await practice.token(client), await practice.token(coach)
    for i in range(4):
        await journals.write(token, JOY if i % 2 else SAD)
        manual_clock.advance(timedelta(hours=1))
    await journals.analyse()
    await journals.write(token, "Still pending.")
    points = (await gql.data(RECENT, {"id": str(client.id), "last": 3}, coach_token))["client"][
        "recentEmotions"
    ]
    assert [p["at"] for p in points] == [
        "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z",
    ]  # fmt: skip
    assert _score(points[0], "JOY") > _score(points[1], "JOY")
    assert _score(points[1], "SADNESS") > _score(points[0], "SADNESS")
    assert all(len(p["scores"]) == 8 for p in points)
    default = await gql.data(RECENT, {"id": str(client.id)}, coach_token)
    assert len(default["client"]["recentEmotions"]) == 4
    error = await gql.error(RECENT, {"id": str(client.id), "last": 0}, coach_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_emotions_over_time_has_one_mean_point_per_day_in_the_coachs_zone(
    gql: GraphQLClient, practice: Practice, journals: Journals, manual_clock: clock.ManualClock
) -> None:
    # Tokyo is UTC+9: 20:00 UTC on 2 March is already 3 March there.
    coach = await practice.coach(time_zone="Asia/Tokyo")
    client = await practice.client(coach)
    token, coach_token = await practice.token(client), await practice.token(coach)
    writes = [
        (datetime(2026, 2, 20, 1, tzinfo=UTC), JOY),  # outside the week
        (datetime(2026, 3, 2, 1, tzinfo=UTC), JOY),  # 2 March, Tokyo
        (datetime(2026, 3, 2, 2, tzinfo=UTC), SAD),  # 2 March, Tokyo
        (datetime(2026, 3, 2, 20, tzinfo=UTC), JOY),  # 3 March, Tokyo
    ]
    for at, text in writes:
        await journals.write(token, text, at=at)
    manual_clock.set(datetime(2026, 3, 3, 2, tzinfo=UTC))  # 3 March 11:00 in Tokyo
    await journals.analyse()
    week = (await gql.data(OVER_TIME, {"id": str(client.id), "range": "WEEK"}, coach_token))[
        "client"
    ]["emotionsOverTime"]
    # Midnight in Tokyo, in UTC.
    assert [p["at"] for p in week] == ["2026-03-01T15:00:00Z", "2026-03-02T15:00:00Z"]
    assert [p["day"] for p in week] == ["2026-03-02", "2026-03-03"]  # the coach's days
    joy_only = _score(week[1], "JOY")
    assert abs(_score(week[0], "JOY") - joy_only / 2) < 1e-3  # mean of a joyful and a sad entry
    month = (await gql.data(OVER_TIME, {"id": str(client.id), "range": "MONTH"}, coach_token))[
        "client"
    ]["emotionsOverTime"]
    assert len(month) == 3
    assert month[0]["at"] == "2026-02-19T15:00:00Z"
