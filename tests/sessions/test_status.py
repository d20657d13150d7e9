from __future__ import annotations

from datetime import timedelta

import pytest

from coach_graph import clock
from tests.sessions.conftest import Scene, at

SET = (
    "mutation($id: ID!, $st: SessionStatus!) { updateSessionStatus(id: "
    "$id, status: $st) { status } }"
)
NO_SHOW = "mutation($id: ID!) { markNoShow(id: $id) { status } }"
CANCEL = (
    "mutation($id: ID!, $r: String) { cancelSession(id: $id, reason: $r) "
    "{ status cancellationReason } }"
)


async def _status_error(scene: Scene, sid: str, status: str) -> dict[str, object]:
    return await scene.gql.error(SET, {"id": sid, "st": status}, scene.coach_token)


async def test_pending_becomes_confirmed_then_completed_after_the_start(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    booked = await scene.gql.data(
        """mutation($c: ID!, $s: ID!) { bookSession(clientId: $c, serviceId: $s,
             startsAt: "2026-03-03T09:00:00Z", status: PENDING) { id status } }""",
        {"c": str(scene.client.id), "s": scene.services[60]},
        scene.coach_token,
    )
    sid = booked["bookSession"]["id"]
    assert booked["bookSession"]["status"] == "PENDING"
    refused = await _status_error(scene, sid, "COMPLETED")
    assert refused["extensions"]["code"] == "CONFLICT"
    assert "PENDING" in str(refused["message"]) and "CONFIRMED" in str(refused["message"])
    assert (await scene.as_coach(SET, id=sid, st="CONFIRMED"))["updateSessionStatus"] == {
        "status": "CONFIRMED"
    }
    early = await _status_error(scene, sid, "COMPLETED")
    assert "after its start" in str(early["message"])
    manual_clock.set(at(1, 9, 1))
    assert (await scene.as_coach(SET, id=sid, st="COMPLETED"))["updateSessionStatus"][
        "status"
    ] == "COMPLETED"


async def test_no_show_only_ten_minutes_after_the_start(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    manual_clock.set(at(1, 9, 9))
    error = await scene.gql.error(NO_SHOW, {"id": sid}, scene.coach_token)
    assert error["extensions"]["code"] == "CONFLICT"
    assert "10 minutes" in error["message"]
    manual_clock.set(at(1, 9, 10))
    assert (await scene.as_coach(NO_SHOW, id=sid))["markNoShow"]["status"] == "NO_SHOW"


async def test_a_coach_may_correct_completed_and_no_show_both_ways(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    manual_clock.set(at(1, 10))
    for status in ("COMPLETED", "NO_SHOW", "COMPLETED"):
        assert (await scene.as_coach(SET, id=sid, st=status))["updateSessionStatus"][
            "status"
        ] == status


@pytest.mark.parametrize(
    ("final", "target"),
    [
        ("CANCELLED", "CONFIRMED"),
        ("CANCELLED", "COMPLETED"),
        ("COMPLETED", "CANCELLED"),
        ("COMPLETED", "CONFIRMED"),
        ("NO_SHOW", "PENDING"),
        ("NO_SHOW", "CANCELLED"),
    ],
)
async def test_final_statuses_refuse_other_moves(
    scene: Scene, manual_clock: clock.ManualClock, final: str, target: str
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    manual_clock.set(at(1, 10))
    await scene.as_coach(SET, id=sid, st=final)
    error = await _status_error(scene, sid, target)
    assert error["extensions"]["code"] == "CONFLICT"
    assert final in str(error["message"])
    data = await scene.as_coach("query($id: ID!) { session(id: $id) { status } }", id=sid)
    assert data["session"]["status"] == final


async def test_cancelling_keeps_the_reason_and_cannot_happen_twice(scene: Scene) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    data = await scene.as_coach(CANCEL, id=sid, r="Client is ill")
    assert data["cancelSession"] == {"status": "CANCELLED", "cancellationReason": "Client is ill"}
    again = await scene.gql.error(CANCEL, {"id": sid}, scene.coach_token)
    assert again["extensions"]["code"] == "CONFLICT"
    assert "final" in again["message"]


async def test_notes_are_edited_and_left_alone_when_not_given(scene: Scene) -> None:
    sid = (await scene.book(at(1, 9), 60, pn="old private", cn="old customer"))["id"]
    update = """mutation($id: ID!, $p: String) { updateSessionNotes(id: $id, privateNotes: $p) {
        privateNotes customerNotes } }"""
    data = await scene.as_coach(update, id=sid, p="new private")
    assert data["updateSessionNotes"] == {
        "privateNotes": "new private",
        "customerNotes": "old customer",
    }
    cleared = await scene.as_coach(
        "mutation($id: ID!) { updateSessionNotes(id: $id, customerNotes: null) "
        "{ customerNotes privateNotes } }",
        id=sid,
    )
    assert cleared["updateSessionNotes"] == {"customerNotes": None, "privateNotes": "new private"}


async def test_a_coach_reschedule_moves_the_session_and_refuses_final_ones(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    sid = (await scene.book(at(1, 9), 60))["id"]
    move = """mutation($id: ID!, $t: DateTime!, $r: String) {
        rescheduleSession(id: $id, startsAt: $t, reason: $r) { startsAt endsAt } }"""
    data = await scene.as_coach(move, id=sid, t="2026-03-04T13:00:00Z", r="Conference")
    assert data["rescheduleSession"] == {
        "startsAt": "2026-03-04T13:00:00Z",
        "endsAt": "2026-03-04T14:00:00Z",
    }
    manual_clock.set(at(2, 14) + timedelta(minutes=5))
    await scene.as_coach(SET, id=sid, st="COMPLETED")
    error = await scene.gql.error(move, {"id": sid, "t": "2026-03-10T09:00:00Z"}, scene.coach_token)
    assert error["extensions"]["code"] == "CONFLICT"
    assert "COMPLETED" in error["message"]
