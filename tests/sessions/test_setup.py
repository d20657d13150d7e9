from __future__ import annotations

from tests.sessions.conftest import Scene

CATALOG = """{
  services { name durationMinutes isFree archived price { amountMinor currency } }
  calendars { id name }
  availability { weekday startTime endTime }
}"""


async def test_a_new_coach_starts_with_four_services_a_calendar_and_weekday_hours(
    scene: Scene,
) -> None:
    data = await scene.as_coach(CATALOG)
    assert [
        (s["durationMinutes"], s["isFree"], s["price"]["amountMinor"], s["price"]["currency"])
        for s in data["services"]
    ] == [(15, True, 0, "EUR"), (30, False, 5000, "EUR"), (45, False, 7000, "EUR"),
          (60, False, 9000, "EUR")]  # fmt: skip
    assert len(data["calendars"]) == 1
    assert data["availability"] == [
        {"weekday": day, "startTime": "09:00", "endTime": "17:00"}
        for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
    ]


async def test_a_coach_edits_services_calendars_and_availability(scene: Scene) -> None:
    created = await scene.as_coach(
        """mutation { createService(input: {name: "90 minutes", durationMinutes: 90,
             priceMinor: 12000, currency: "USD"}) { id name price { amountMinor currency } } }"""
    )
    sid = created["createService"]["id"]
    updated = await scene.as_coach(
        """mutation($id: ID!) { updateService(id: $id, input: {name: "Deep dive",
             durationMinutes: 90, priceMinor: 15000, currency: "USD"}) {
             name price { amountMinor } } }""",
        id=sid,
    )
    assert updated["updateService"] == {"name": "Deep dive", "price": {"amountMinor": 15000}}
    archived = await scene.as_coach(
        "mutation($id: ID!) { archiveService(id: $id) { archived } }", id=sid
    )
    assert archived["archiveService"]["archived"] is True
    cal = await scene.as_coach('mutation { createCalendar(name: "Evenings") { name } }')
    assert cal["createCalendar"]["name"] == "Evenings"
    windows = await scene.as_coach(
        """mutation { setAvailability(windows: [
             {weekday: SATURDAY, startTime: "10:00", endTime: "12:00"},
             {weekday: MONDAY, startTime: "18:00", endTime: "24:00"}]) {
             weekday startTime endTime } }"""
    )
    assert windows["setAvailability"] == [
        {"weekday": "MONDAY", "startTime": "18:00", "endTime": "24:00"},
        {"weekday": "SATURDAY", "startTime": "10:00", "endTime": "12:00"},
    ]


async def test_bad_service_and_availability_input_is_refused(scene: Scene) -> None:
    bad_service = await scene.gql.error(
        """mutation { createService(input: {name: "x", durationMinutes: 7, priceMinor: 100,
             currency: "EUR"}) { id } }""",
        token=scene.coach_token,
    )
    assert bad_service["extensions"]["code"] == "BAD_USER_INPUT"
    overlapping = await scene.gql.error(
        """mutation { setAvailability(windows: [
             {weekday: MONDAY, startTime: "09:00", endTime: "12:00"},
             {weekday: MONDAY, startTime: "11:00", endTime: "13:00"}]) { weekday } }""",
        token=scene.coach_token,
    )
    assert overlapping["extensions"]["code"] == "BAD_USER_INPUT"
    assert "overlap" in overlapping["message"]
    bad_time = await scene.gql.error(
        """mutation { setAvailability(windows: [
             {weekday: MONDAY, startTime: "9am", endTime: "12:00"}]) { weekday } }""",
        token=scene.coach_token,
    )
    assert bad_time["extensions"]["code"] == "BAD_USER_INPUT"
    # Nothing was written by the refusals.
    data = await scene.as_coach("{ availability { weekday } services { id } }")
    assert len(data["availability"]) == 5 and len(data["services"]) == 4
