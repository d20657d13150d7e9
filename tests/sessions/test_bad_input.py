"""Hostile text and dates at the sessions API: refused as BAD_USER_INPUT, nothing written."""

from __future__ import annotations

from coach_graph.db import Database
from tests.sessions.conftest import Scene, at, count_rows

NOTES = """mutation($id: ID!, $n: String) { updateSessionNotes(id: $id, privateNotes: $n) {
  privateNotes } }"""
CANCEL = "mutation($id: ID!, $r: String) { cancelSession(id: $id, reason: $r) { status } }"
ANALYTICS = """query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t) {
  sessionsCompleted } }"""


async def test_a_null_byte_in_notes_is_refused_and_nothing_stored(
    scene: Scene, db: Database
) -> None:
    session = await scene.book(at(1, 10), pn="kept")
    error = await scene.gql.error(NOTES, {"id": session["id"], "n": "a\x00b"}, scene.coach_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`privateNotes`" in error["message"]
    error = await scene.book_error(at(2, 10), cn="bell\x07")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await count_rows(db, "coaching_session") == 1
    notes = await scene.gql.data(
        NOTES, {"id": session["id"], "n": "tab\tand\r\nlines"}, scene.coach_token
    )
    assert notes["updateSessionNotes"]["privateNotes"] == "tab\tand\r\nlines"


async def test_notes_hold_5000_characters_and_reasons_1000(scene: Scene) -> None:
    session = await scene.book(at(1, 10))
    token = scene.coach_token
    error = await scene.gql.error(NOTES, {"id": session["id"], "n": "n" * 5001}, token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "privateNotes", "limit": 5000}
    assert "5,000" in error["message"]
    await scene.gql.data(NOTES, {"id": session["id"], "n": "n" * 5000}, token)
    error = await scene.gql.error(CANCEL, {"id": session["id"], "r": "r" * 1001}, token)
    assert error["extensions"]["limit"] == 1000
    assert "`reason`" in error["message"]


async def test_a_booking_in_year_9999_or_without_an_offset_is_bad_user_input(
    scene: Scene, db: Database
) -> None:
    for starts_at in ["9999-01-04T10:00:00Z", "1969-12-29T10:00:00Z", "2026-03-03T10:00:00"]:
        error = await scene.gql.error(
            "mutation($c: ID!, $s: ID!, $t: DateTime!) { bookSession(clientId: $c, "
            "serviceId: $s, startsAt: $t) { id } }",
            {"c": str(scene.client.id), "s": scene.services[60], "t": starts_at},
            scene.coach_token,
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", starts_at
    assert await count_rows(db, "coaching_session") == 0


async def test_analytics_over_five_years_or_outside_1970_to_2100_is_bad_user_input(
    scene: Scene,
) -> None:
    token = scene.coach_token
    for start, end in [
        ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),
        ("2020-01-01T00:00:00Z", "2025-01-02T00:00:00Z"),
    ]:
        error = await scene.gql.error(ANALYTICS, {"f": start, "t": end}, token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (start, end)
    five_years = {"f": "2020-01-01T00:00:00Z", "t": "2025-01-01T00:00:00Z"}
    data = await scene.gql.data(ANALYTICS, five_years, token)
    assert data["analytics"]["sessionsCompleted"] == 0
