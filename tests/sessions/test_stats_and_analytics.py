from __future__ import annotations

from coach_graph import clock
from coach_graph.db import Database
from tests.conftest import count_statements
from tests.sessions.conftest import Scene, at

SET = "mutation($id: ID!, $st: SessionStatus!) { updateSessionStatus(id: $id, status: $st) { id } }"
STATS = """query($id: ID!) { client(id: $id) { sessionStats {
  total completed cancelled noShows cancellationRate revenue { amountMinor currency } } } }"""
ANALYTICS = """query($f: DateTime!, $t: DateTime!, $i: AnalyticsInterval) {
  analytics(from: $f, to: $t, interval: $i) {
    sessionsCompleted retentionRate averageRating
    revenue { periodStart revenue { amountMinor currency } }
  }
}"""


async def test_session_stats_count_each_status_and_the_revenue_of_completed_ones(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    empty = await scene.as_coach(STATS, id=str(scene.client.id))
    assert empty["client"]["sessionStats"] == {
        "total": 0, "completed": 0, "cancelled": 0, "noShows": 0, "cancellationRate": 0.0,
        "revenue": {"amountMinor": 0, "currency": "EUR"},
    }  # fmt: skip
    a = await scene.book(at(1, 9), 60)
    b = await scene.book(at(1, 11), 30)
    c = await scene.book(at(1, 13), 45)
    await scene.book(at(1, 15), 15)
    manual_clock.set(at(1, 16))
    await scene.as_coach(SET, id=a["id"], st="COMPLETED")
    await scene.as_coach(SET, id=b["id"], st="COMPLETED")
    await scene.as_coach(SET, id=c["id"], st="NO_SHOW")
    await scene.book(at(2, 9), 60)
    cancelled = await scene.book(at(2, 11), 60)
    await scene.as_coach("mutation($id: ID!) { cancelSession(id: $id) { id } }", id=cancelled["id"])
    data = await scene.as_coach(STATS, id=str(scene.client.id))
    assert data["client"]["sessionStats"] == {
        "total": 6, "completed": 2, "cancelled": 1, "noShows": 1,
        "cancellationRate": 1 / 6, "revenue": {"amountMinor": 9000 + 5000, "currency": "EUR"},
    }  # fmt: skip
    own = await scene.as_client(STATS, id=str(scene.client.id))
    assert own["client"]["sessionStats"]["total"] == 6


async def test_stats_of_a_client_list_take_one_statement(scene: Scene, db: Database) -> None:
    for _ in range(3):
        await scene.practice.client(scene.coach)
    query = "{ clients { edges { node { sessionStats { total } } } } }"
    with count_statements(db) as seen:
        data = await scene.as_coach(query)
    assert len(data["clients"]["edges"]) == 4
    assert sum("coaching_session" in s for s in seen) == 1


async def test_analytics_counts_completions_ratings_retention_and_monthly_revenue(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    second = await scene.practice.client(scene.coach, "Second")
    march_1 = await scene.book(at(1, 9), 60)  # 2026-03-03
    march_2 = await scene.gql.data(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-03T11:00:00Z") { id } }""",
        {"c": str(second.id), "s": scene.services[30]},
        scene.coach_token,
    )
    april = await scene.book(at(36, 9), 45)  # 2026-04-07
    manual_clock.set(at(40, 12))
    # Tokens live 7 days: log in again after the jump.
    scene.coach_token = await scene.practice.token(scene.coach)
    scene.client_token = await scene.practice.token(scene.client)
    for sid in (march_1["id"], march_2["bookSession"]["id"], april["id"]):
        await scene.as_coach(SET, id=sid, st="COMPLETED")
    for sid, rating in ((march_1["id"], 5), (april["id"], 4)):
        await scene.as_client(
            "mutation($id: ID!, $r: Int!) { rateSession(sessionId: $id, rating: $r) { id } }",
            id=sid,
            r=rating,
        )
    spring = await scene.as_coach(
        ANALYTICS, f="2026-03-01T00:00:00Z", t="2026-05-01T00:00:00Z", i="MONTH"
    )
    result = spring["analytics"]
    assert result["sessionsCompleted"] == 3
    assert result["averageRating"] == 4.5
    assert result["retentionRate"] is None  # Jan-Feb had no completed sessions
    assert result["revenue"] == [
        {
            "periodStart": "2026-03-01T00:00:00Z",
            "revenue": {"amountMinor": 14000, "currency": "EUR"},
        },
        {
            "periodStart": "2026-04-01T00:00:00Z",
            "revenue": {"amountMinor": 7000, "currency": "EUR"},
        },
    ]
    april_only = await scene.as_coach(
        ANALYTICS, f="2026-04-01T00:00:00Z", t="2026-05-01T00:00:00Z", i="WEEK"
    )
    # March (the previous 30 days) had two clients; one came back in April.
    assert april_only["analytics"]["retentionRate"] == 0.5
    weeks = [p["periodStart"] for p in april_only["analytics"]["revenue"]]
    assert weeks[0] == "2026-03-30T00:00:00Z" and len(weeks) == 5


async def test_analytics_periods_start_at_local_midnight_of_the_coach(
    scene: Scene,
) -> None:
    coach = await scene.practice.coach(time_zone="America/New_York")
    token = await scene.practice.token(coach)
    data = await scene.gql.data(
        ANALYTICS, {"f": "2026-03-01T05:00:00Z", "t": "2026-05-01T04:00:00Z", "i": "MONTH"}, token
    )
    assert [p["periodStart"] for p in data["analytics"]["revenue"]] == [
        "2026-03-01T05:00:00Z",  # EST
        "2026-04-01T04:00:00Z",  # EDT
    ]


async def test_analytics_refuses_an_empty_range_or_too_many_periods(scene: Scene) -> None:
    backwards = await scene.gql.error(
        ANALYTICS, {"f": "2026-03-01T00:00:00Z", "t": "2026-02-01T00:00:00Z"}, scene.coach_token
    )
    assert backwards["extensions"]["code"] == "BAD_USER_INPUT"
    daily = await scene.gql.error(
        ANALYTICS,
        {"f": "2020-01-01T00:00:00Z", "t": "2026-01-01T00:00:00Z", "i": "DAY"},
        scene.coach_token,
    )
    assert daily["extensions"]["code"] == "BAD_USER_INPUT"


RATE = "mutation($id: ID!, $r: Int!) { rateSession(sessionId: $id, rating: $r) { rating } }"
REVIEW = "mutation($id: ID!) { requestReview(sessionId: $id) }"


async def test_ratings_are_1_to_5_by_the_session_s_client_on_completed_sessions(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    not_yet = await scene.gql.error(RATE, {"id": sid, "r": 5}, scene.client_token)
    assert not_yet["extensions"]["code"] == "CONFLICT"
    manual_clock.set(at(1, 10))
    await scene.as_coach(SET, id=sid, st="COMPLETED")
    for bad in (0, 6):
        error = await scene.gql.error(RATE, {"id": sid, "r": bad}, scene.client_token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
    other = await scene.practice.token(await scene.practice.client(scene.coach))
    foreign = await scene.gql.error(RATE, {"id": sid, "r": 5}, other)
    assert foreign["extensions"]["code"] == "NOT_FOUND"
    by_coach = await scene.gql.error(RATE, {"id": sid, "r": 5}, scene.coach_token)
    assert by_coach["extensions"]["code"] == "FORBIDDEN"
    assert (await scene.as_client(RATE, id=sid, r=4))["rateSession"] == {"rating": 4}


async def test_one_open_review_request_per_session(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    early = await scene.gql.error(REVIEW, {"id": sid}, scene.coach_token)
    assert early["extensions"]["code"] == "CONFLICT"
    manual_clock.set(at(1, 10))
    await scene.as_coach(SET, id=sid, st="COMPLETED")
    assert (await scene.as_coach(REVIEW, id=sid)) == {"requestReview": True}
    twice = await scene.gql.error(REVIEW, {"id": sid}, scene.coach_token)
    assert twice["extensions"]["code"] == "CONFLICT"
    await scene.as_client(RATE, id=sid, r=5)  # the rating answers the invitation
    assert (await scene.as_coach(REVIEW, id=sid)) == {"requestReview": True}
