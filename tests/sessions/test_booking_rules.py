"""Booking rules (SPEC.md "Sessions"): the buffer around every session for every placement and
in `availableSlots`; the minimum notice and booking window for clients' own bookings and moves
(not the coach's); who reads and sets them; bad input refused, writing nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from coach_graph.db import Database
from tests.sessions.conftest import Scene, at, count_rows, iso

RULES = """query($c: ID) { bookingRules(coachId: $c) {
  minimumNoticeHours bookingWindowDays bufferMinutes } }"""
SET = """mutation($n: Int!, $w: Int!, $b: Int!) {
  setBookingRules(input: {minimumNoticeHours: $n, bookingWindowDays: $w, bufferMinutes: $b}) {
    minimumNoticeHours bookingWindowDays bufferMinutes
  }
}"""
SLOTS = """query($s: ID!, $f: DateTime!, $t: DateTime!) {
  availableSlots(serviceId: $s, from: $f, to: $t)
}"""
MOVE = "mutation($id: ID!, $t: DateTime!) { rescheduleSession(id: $id, startsAt: $t) { id } }"
BOOK_MINE = "mutation($s: ID!, $t: DateTime!) { bookMySession(serviceId: $s, startsAt: $t) { id } }"
REQUEST = """mutation($id: ID!, $t: DateTime!) {
  requestReschedule(sessionId: $id, startsAt: $t) { status }
}"""


async def set_rules(scene: Scene, notice: int, window: int, buffer: int) -> dict[str, Any]:
    data = await scene.as_coach(SET, n=notice, w=window, b=buffer)
    result: dict[str, Any] = data["setBookingRules"]
    return result


async def slots(scene: Scene, day: int, token: str | None, minutes: int = 60) -> list[str]:
    variables = {"s": scene.services[minutes], "f": iso(at(day, 0)), "t": iso(at(day + 1, 0))}
    data = await scene.gql.data(SLOTS, variables, token)
    result: list[str] = data["availableSlots"]
    return result


async def test_the_defaults_are_read_by_the_coach_and_by_anyone_by_id(scene: Scene) -> None:
    defaults = {"minimumNoticeHours": 2, "bookingWindowDays": 60, "bufferMinutes": 0}
    assert (await scene.as_coach(RULES))["bookingRules"] == defaults
    for token in (None, scene.client_token, scene.coach_token):
        data = await scene.gql.data(RULES, {"c": str(scene.coach.id)}, token)
        assert data["bookingRules"] == defaults
    saved = await set_rules(scene, 24, 14, 10)
    assert saved == {"minimumNoticeHours": 24, "bookingWindowDays": 14, "bufferMinutes": 10}
    assert (await scene.gql.data(RULES, {"c": str(scene.coach.id)}))["bookingRules"] == saved
    for ident in (str(scene.client.id), "999999", " 1"):
        error = await scene.gql.error(RULES, {"c": ident})
        assert error["extensions"]["code"] == "NOT_FOUND", ident
    assert (await scene.gql.error(RULES, {}))["extensions"]["code"] == "UNAUTHENTICATED"
    mine = await scene.gql.error(RULES, {}, scene.client_token)
    assert mine["extensions"]["code"] == "FORBIDDEN"


async def test_a_15_minute_buffer_after_a_60_minute_session_puts_the_next_start_at_75(
    scene: Scene,
) -> None:
    await set_rules(scene, 2, 60, 15)
    await scene.book(at(1, 9), 60)  # Tuesday 09:00-10:00
    error = await scene.book_error(at(1, 10), 30)
    assert error["extensions"]["code"] == "CONFLICT" and "buffer" in error["message"]
    assert (await scene.book(at(1, 10, 15), 30))["startsAt"] == "2026-03-03T10:15:00Z"
    listed = await slots(scene, 1, scene.coach_token, 30)
    # 10:15-10:45 is taken now: the next start is 10:45 + 15 = 11:00; none before it after 09:00.
    assert [s for s in listed if s < "2026-03-03T11:30:00Z"] == [
        "2026-03-03T11:00:00Z",
        "2026-03-03T11:15:00Z",
    ]


async def test_slots_agree_with_the_buffer_before_and_after_a_session(scene: Scene) -> None:
    await scene.book(at(1, 12), 60)  # Tuesday 12:00-13:00
    await set_rules(scene, 2, 60, 15)
    listed = await slots(scene, 1, scene.coach_token)
    # A 60-minute session must end by 11:45 and may start from 13:15.
    assert "2026-03-03T10:45:00Z" in listed and "2026-03-03T11:00:00Z" not in listed
    assert "2026-03-03T13:00:00Z" not in listed and "2026-03-03T13:15:00Z" in listed
    for slot in ("2026-03-03T10:45:00Z", "2026-03-03T13:15:00Z"):
        assert (await scene.gql.data(
            """mutation($c: ID!, $s: ID!, $t: DateTime!) {
                 bookSession(clientId: $c, serviceId: $s, startsAt: $t) { id } }""",
            {"c": str(scene.client.id), "s": scene.services[60], "t": slot},
            scene.coach_token,
        ))["bookSession"]["id"]  # fmt: skip


async def test_the_buffer_holds_for_moves_too(scene: Scene) -> None:
    first = await scene.book(at(1, 9), 60)
    second = await scene.book(at(1, 14), 60)
    await set_rules(scene, 2, 60, 30)
    error = await scene.gql.error(
        MOVE, {"id": second["id"], "t": iso(at(1, 10, 15))}, scene.coach_token
    )
    assert error["extensions"]["code"] == "CONFLICT"
    await scene.as_coach(MOVE, id=second["id"], t=iso(at(1, 10, 30)))
    # A session's own old time never blocks its move.
    await scene.as_coach(MOVE, id=first["id"], t=iso(at(1, 8, 59) + timedelta(minutes=1)))


async def test_notice_and_window_bind_clients_not_the_coach(scene: Scene, db: Database) -> None:
    await set_rules(scene, 24, 7, 0)
    client, service = scene.client_token, scene.services[30]
    soon = await scene.gql.error(BOOK_MINE, {"s": service, "t": iso(at(1, 9))}, client)
    assert soon["extensions"]["code"] == "BAD_USER_INPUT" and "24 hours" in soon["message"]
    far = await scene.gql.error(BOOK_MINE, {"s": service, "t": iso(at(8, 9))}, client)
    assert far["extensions"]["code"] == "BAD_USER_INPUT" and "7 days" in far["message"]
    assert await count_rows(db, "coaching_session") == 0
    assert (await scene.gql.data(BOOK_MINE, {"s": service, "t": iso(at(2, 9))}, client))[
        "bookMySession"
    ]["id"]
    # The coach books inside the notice and beyond the window.
    assert (await scene.book(at(0, 11), 30))["status"] == "CONFIRMED"
    mine = await scene.book(at(14, 9), 30)
    # Slots: the coach sees the near ones; anyone else only from 24 hours on, up to 7 days.
    assert "2026-03-03T09:00:00Z" in await slots(scene, 1, scene.coach_token, 30)
    assert "2026-03-03T09:00:00Z" not in await slots(scene, 1, None, 30)
    assert "2026-03-03T10:00:00Z" in await slots(scene, 1, None, 30)
    assert await slots(scene, 8, client, 30) == []
    assert await slots(scene, 8, scene.coach_token, 30) != []
    # A client's move follows the same rules: two weeks ahead is outside the window.
    moved = await scene.gql.error(REQUEST, {"id": mine["id"], "t": iso(at(15, 9))}, client)
    assert moved["extensions"]["code"] == "BAD_USER_INPUT" and "7 days" in moved["message"]


async def test_bad_rules_are_refused_and_change_nothing(scene: Scene) -> None:
    before = (await scene.as_coach(RULES))["bookingRules"]
    for notice, window, buffer in [
        (-1, 60, 0),
        (721, 60, 0),
        (2, 0, 0),
        (2, 731, 0),
        (2, 60, -5),
        (2, 60, 241),
        (48, 1, 0),  # notice longer than the window
    ]:
        error = await scene.gql.error(
            SET, {"n": notice, "w": window, "b": buffer}, scene.coach_token
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (notice, window, buffer)
    client = await scene.gql.error(SET, {"n": 2, "w": 60, "b": 0}, scene.client_token)
    assert client["extensions"]["code"] == "FORBIDDEN"
    assert (await scene.as_coach(RULES))["bookingRules"] == before
