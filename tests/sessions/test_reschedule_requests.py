from __future__ import annotations

from datetime import timedelta

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.sessions.jobs import expire_reschedule_requests
from tests.sessions.conftest import Scene, at, count_rows

REQUEST = """mutation($id: ID!, $t: DateTime!, $r: String) {
  requestReschedule(sessionId: $id, startsAt: $t, reason: $r) {
    id status originalStartsAt proposedStartsAt reason expiresAt respondedAt
    session { id startsAt }
  }
}"""
RESPOND = """mutation($id: ID!, $ok: Boolean!, $r: String) {
  respondToRescheduleRequest(id: $id, approve: $ok, reason: $r) {
    id status responseReason respondedAt session { startsAt }
  }
}"""
SESSION = "query($id: ID!) { session(id: $id) { startsAt pendingRescheduleRequest { id } } }"


async def _request(scene: Scene, sid: str, to: str, reason: str | None = None) -> dict:
    data = await scene.as_client(REQUEST, id=sid, t=to, r=reason)
    return data["requestReschedule"]


async def test_more_than_48_hours_ahead_the_move_is_applied_at_once(scene: Scene) -> None:
    sid = (await scene.book(at(3, 9), 60))["id"]  # 71 hours ahead
    request = await _request(scene, sid, "2026-03-06T10:00:00Z", "Dentist")
    assert request["status"] == "APPROVED"
    assert request["originalStartsAt"] == "2026-03-05T09:00:00Z"
    assert request["session"]["startsAt"] == "2026-03-06T10:00:00Z"
    assert request["respondedAt"] is not None


async def test_24_to_48_hours_ahead_it_waits_for_the_coach(scene: Scene) -> None:
    sid = (await scene.book(at(2, 9), 60))["id"]  # 47 hours ahead
    request = await _request(scene, sid, "2026-03-06T10:00:00Z")
    assert request["status"] == "PENDING"
    assert request["session"]["startsAt"] == "2026-03-04T09:00:00Z"
    # Expiry: 48 hours after the request or the start, whichever is first: the start here.
    assert request["expiresAt"] == "2026-03-04T09:00:00Z"
    session = await scene.as_coach(SESSION, id=sid)
    assert session["session"]["pendingRescheduleRequest"] == {"id": request["id"]}
    listed = await scene.as_coach("{ rescheduleRequests { id status } }")
    assert listed["rescheduleRequests"] == [{"id": request["id"], "status": "PENDING"}]


async def test_under_24_hours_ahead_it_is_refused_and_nothing_is_written(
    scene: Scene, db: Database
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]  # 23 hours ahead
    error = await scene.gql.error(
        REQUEST, {"id": sid, "t": "2026-03-06T10:00:00Z"}, scene.client_token
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "24 hours" in error["message"]
    assert await count_rows(db, "reschedule_request") == 0


async def test_a_second_pending_request_is_a_conflict(scene: Scene) -> None:
    sid = (await scene.book(at(2, 9), 60))["id"]
    await _request(scene, sid, "2026-03-06T10:00:00Z")
    error = await scene.gql.error(
        REQUEST, {"id": sid, "t": "2026-03-06T13:00:00Z"}, scene.client_token
    )
    assert error["extensions"]["code"] == "CONFLICT"


async def test_the_proposed_time_must_be_a_free_slot(scene: Scene) -> None:
    sid = (await scene.book(at(3, 9), 60))["id"]
    await scene.book(at(4, 10), 60)
    taken = await scene.gql.error(
        REQUEST, {"id": sid, "t": "2026-03-06T10:30:00Z"}, scene.client_token
    )
    assert taken["extensions"]["code"] == "CONFLICT"
    closed = await scene.gql.error(
        REQUEST,
        {"id": sid, "t": "2026-03-07T10:00:00Z"},
        scene.client_token,  # Saturday
    )
    assert closed["extensions"]["code"] == "BAD_USER_INPUT"


async def test_only_the_session_s_client_may_ask(scene: Scene) -> None:
    sid = (await scene.book(at(3, 9), 60))["id"]
    other = await scene.practice.client(scene.coach)
    error = await scene.gql.error(
        REQUEST, {"id": sid, "t": "2026-03-06T10:00:00Z"}, await scene.practice.token(other)
    )
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_approving_moves_the_session_and_rejecting_keeps_it(scene: Scene) -> None:
    first = (await scene.book(at(2, 9), 60))["id"]
    second = (await scene.book(at(2, 10), 60))["id"]  # exactly 48 hours: still PENDING
    to_approve = await _request(scene, first, "2026-03-06T10:00:00Z")
    to_reject = await _request(scene, second, "2026-03-06T13:00:00Z")
    approved = await scene.as_coach(RESPOND, id=to_approve["id"], ok=True)
    assert approved["respondToRescheduleRequest"]["status"] == "APPROVED"
    assert approved["respondToRescheduleRequest"]["session"]["startsAt"] == "2026-03-06T10:00:00Z"
    rejected = await scene.as_coach(RESPOND, id=to_reject["id"], ok=False, r="Fully booked")
    assert rejected["respondToRescheduleRequest"]["status"] == "REJECTED"
    assert rejected["respondToRescheduleRequest"]["responseReason"] == "Fully booked"
    assert rejected["respondToRescheduleRequest"]["session"]["startsAt"] == "2026-03-04T10:00:00Z"
    again = await scene.gql.error(RESPOND, {"id": to_reject["id"], "ok": True}, scene.coach_token)
    assert again["extensions"]["code"] == "CONFLICT"
    assert "REJECTED" in again["message"]
    outcomes = await scene.as_client("{ rescheduleRequests(status: null) { id status } }")
    assert {r["status"] for r in outcomes["rescheduleRequests"]} == {"APPROVED", "REJECTED"}


async def test_a_request_expires_at_the_start_and_the_session_stays(
    scene: Scene, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(2, 9), 60))["id"]
    request = await _request(scene, sid, "2026-03-06T10:00:00Z")
    manual_clock.set(at(2, 9) - timedelta(minutes=1))
    assert await expire_reschedule_requests(resources) == 0
    manual_clock.set(at(2, 9))
    error = await scene.gql.error(RESPOND, {"id": request["id"], "ok": True}, scene.coach_token)
    assert error["extensions"]["code"] == "CONFLICT"
    assert "expired" in error["message"]
    assert await expire_reschedule_requests(resources) == 1
    assert await expire_reschedule_requests(resources) == 0
    listed = await scene.as_coach("{ rescheduleRequests(status: EXPIRED) { id } }")
    assert listed["rescheduleRequests"] == [{"id": request["id"]}]
    session = await scene.as_coach(SESSION, id=sid)
    assert session["session"] == {
        "startsAt": "2026-03-04T09:00:00Z",
        "pendingRescheduleRequest": None,
    }


async def test_a_request_made_early_expires_48_hours_after_it_was_made(
    scene: Scene, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(4, 9), 60))["id"]  # Friday 09:00
    manual_clock.set(at(2, 10))  # 47 hours ahead
    request = await _request(scene, sid, "2026-03-09T10:00:00Z")
    assert request["status"] == "PENDING"
    assert request["expiresAt"] == "2026-03-06T09:00:00Z"


async def test_another_coach_cannot_answer_a_request(scene: Scene) -> None:
    sid = (await scene.book(at(2, 9), 60))["id"]
    request = await _request(scene, sid, "2026-03-06T10:00:00Z")
    other = await scene.practice.token(await scene.practice.coach())
    error = await scene.gql.error(RESPOND, {"id": request["id"], "ok": True}, other)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_a_coach_move_or_cancel_rejects_the_pending_request(scene: Scene) -> None:
    sid = (await scene.book(at(2, 9), 60))["id"]
    request = await _request(scene, sid, "2026-03-06T10:00:00Z")
    await scene.as_coach("mutation($id: ID!) { cancelSession(id: $id) { id } }", id=sid)
    listed = await scene.as_client("{ rescheduleRequests(status: REJECTED) { id responseReason } }")
    assert listed["rescheduleRequests"] == [
        {"id": request["id"], "responseReason": "The session was cancelled."}
    ]
