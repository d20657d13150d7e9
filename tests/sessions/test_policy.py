"""The cancellation policy: a client's late cancellation and every no-show charge the late fee,
stored on the session when charged; stats and analytics count it as revenue."""

from __future__ import annotations

import asyncio

from coach_graph import clock
from tests.sessions.conftest import Scene, at, count_rows

POLICY = "{ cancellationPolicy { noticeHours lateFeePercent } }"
SET_POLICY = """mutation($h: Int!, $p: Int!) {
  setCancellationPolicy(input: {noticeHours: $h, lateFeePercent: $p}) { noticeHours lateFeePercent }
}"""
CANCEL_MINE = """mutation($id: ID!, $r: String) { cancelMySession(sessionId: $id, reason: $r) {
  status lateCancellation cancellationReason fee { amountMinor currency } } }"""
SESSION = """query($id: ID!) { session(id: $id) {
  status lateCancellation fee { amountMinor currency } } }"""
NO_SHOW = "mutation($id: ID!) { markNoShow(id: $id) { status fee { amountMinor } } }"
SET = """mutation($id: ID!, $st: SessionStatus!) { updateSessionStatus(id: $id, status: $st) {
  status fee { amountMinor } } }"""
STATS = """query($id: ID!) { client(id: $id) { sessionStats {
  cancelled noShows revenue { amountMinor } } } }"""
ANALYTICS = """query { analytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z",
  interval: MONTH) { sessionsCompleted revenue { revenue { amountMinor } } } }"""


async def test_the_policy_defaults_to_24_hours_and_no_fee_and_can_be_set(scene: Scene) -> None:
    assert (await scene.as_coach(POLICY))["cancellationPolicy"] == {
        "noticeHours": 24,
        "lateFeePercent": 0,
    }
    await scene.as_coach(SET_POLICY, h=48, p=50)
    assert (await scene.as_coach(POLICY))["cancellationPolicy"] == {
        "noticeHours": 48,
        "lateFeePercent": 50,
    }


async def test_a_policy_out_of_range_is_refused_and_nothing_is_stored(scene: Scene) -> None:
    refused = [(-1, 0, "noticeHours"), (721, 0, "noticeHours"), (24, -1, "lateFeePercent"),
               (24, 101, "lateFeePercent")]  # fmt: skip
    for hours, percent, field in refused:
        error = await scene.gql.error(SET_POLICY, {"h": hours, "p": percent}, scene.coach_token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert field in str(error["message"]) or error["extensions"].get("field") == field
    assert await count_rows(scene.practice.resources.db, "cancellation_policy") == 0
    client_error = await scene.gql.error(SET_POLICY, {"h": 1, "p": 1}, scene.client_token)
    assert client_error["extensions"]["code"] == "FORBIDDEN"


async def test_a_late_cancellation_by_the_client_charges_the_fee_and_counts_as_revenue(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    await scene.as_coach(SET_POLICY, h=24, p=50)
    late = await scene.book(at(1, 9))  # 60 minutes, 90.00
    early = await scene.book(at(3, 9))
    manual_clock.set(at(0, 12))  # 21 hours before the first, 69 before the second
    cancelled = (await scene.as_client(CANCEL_MINE, id=late["id"], r="Sick"))["cancelMySession"]
    assert cancelled == {
        "status": "CANCELLED",
        "lateCancellation": True,
        "cancellationReason": "Sick",
        "fee": {"amountMinor": 4500, "currency": "EUR"},
    }
    on_time = (await scene.as_client(CANCEL_MINE, id=early["id"]))["cancelMySession"]
    assert on_time["lateCancellation"] is False and on_time["fee"] is None
    # The fee stays what it was when charged, whatever the policy becomes.
    await scene.as_coach(SET_POLICY, h=24, p=100)
    seen = (await scene.as_coach(SESSION, id=late["id"]))["session"]
    assert seen["fee"] == {"amountMinor": 4500, "currency": "EUR"}
    stats = (await scene.as_coach(STATS, id=str(scene.client.id)))["client"]["sessionStats"]
    assert stats == {"cancelled": 2, "noShows": 0, "revenue": {"amountMinor": 4500}}
    analytics = (await scene.as_coach(ANALYTICS))["analytics"]
    assert analytics["sessionsCompleted"] == 0
    assert sum(p["revenue"]["amountMinor"] for p in analytics["revenue"]) == 4500


async def test_a_no_show_always_charges_the_fee_and_the_correction_takes_it_back(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    await scene.as_coach(SET_POLICY, h=0, p=20)
    booked = await scene.book(at(1, 9))
    manual_clock.set(at(1, 9, 15))
    marked = (await scene.as_coach(NO_SHOW, id=booked["id"]))["markNoShow"]
    assert marked == {"status": "NO_SHOW", "fee": {"amountMinor": 1800}}
    stats = (await scene.as_coach(STATS, id=str(scene.client.id)))["client"]["sessionStats"]
    assert stats["revenue"] == {"amountMinor": 1800}
    corrected = (await scene.as_coach(SET, id=booked["id"], st="COMPLETED"))["updateSessionStatus"]
    assert corrected == {"status": "COMPLETED", "fee": None}
    stats = (await scene.as_coach(STATS, id=str(scene.client.id)))["client"]["sessionStats"]
    assert stats["revenue"] == {"amountMinor": 9000}


async def test_a_client_cannot_cancel_after_the_start_a_final_session_or_someone_elses(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    await scene.as_coach(SET_POLICY, h=24, p=50)
    first = await scene.book(at(1, 9))
    second = await scene.book(at(2, 9))
    other = await scene.practice.client(scene.coach, "Other Olga")
    other_token = await scene.practice.token(other)
    foreign = await scene.gql.error(CANCEL_MINE, {"id": first["id"]}, other_token)
    assert foreign["extensions"]["code"] == "NOT_FOUND"
    coach = await scene.gql.error(CANCEL_MINE, {"id": first["id"]}, scene.coach_token)
    assert coach["extensions"]["code"] == "FORBIDDEN"
    manual_clock.set(at(1, 9, 1))
    started = await scene.gql.error(CANCEL_MINE, {"id": first["id"]}, scene.client_token)
    assert started["extensions"]["code"] == "BAD_USER_INPUT"
    await scene.as_client(CANCEL_MINE, id=second["id"])
    again = await scene.gql.error(CANCEL_MINE, {"id": second["id"]}, scene.client_token)
    assert again["extensions"]["code"] == "CONFLICT" and "final" in str(again["message"])
    untouched = (await scene.as_coach(SESSION, id=first["id"]))["session"]
    assert untouched == {"status": "CONFIRMED", "lateCancellation": False, "fee": None}


async def test_concurrent_cancellations_of_one_session_cancel_it_once(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    booked = await scene.book(at(2, 9))
    results = await asyncio.gather(
        *(scene.gql(CANCEL_MINE, {"id": booked["id"]}, scene.client_token) for _ in range(5))
    )
    done = [r for r in results if not r.get("errors")]
    refused = [r for r in results if r.get("errors")]
    assert len(done) == 1
    assert all(r["errors"][0]["extensions"]["code"] == "CONFLICT" for r in refused)
