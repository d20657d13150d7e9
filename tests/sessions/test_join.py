"""The video call: every session has an unguessable meeting room, kept across moves, whose link
only the session's coach and client see."""

from __future__ import annotations

import re

from coach_graph import clock
from tests.sessions.conftest import Scene, at, iso

JOIN = "query($id: ID!) { session(id: $id) { joinUrl canJoin } }"
LIST = "{ sessions { edges { node { id joinUrl } } } }"
MOVE = """mutation($id: ID!, $t: DateTime!) { rescheduleSession(id: $id, startsAt: $t) {
  joinUrl startsAt } }"""
ROOM = re.compile(r"^https://meet\.jit\.si/([A-Za-z0-9_-]{22,})$")


async def test_coach_and_client_see_the_same_unguessable_link_and_others_none(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    first = await scene.book(at(1, 9))
    second = await scene.book(at(1, 11))
    coach_url = (await scene.as_coach(JOIN, id=first["id"]))["session"]["joinUrl"]
    client_url = (await scene.as_client(JOIN, id=first["id"]))["session"]["joinUrl"]
    assert coach_url == client_url and ROOM.match(coach_url)
    other_url = (await scene.as_coach(JOIN, id=second["id"]))["session"]["joinUrl"]
    assert other_url != coach_url
    stranger = await scene.practice.coach("Other Coach")
    token = await scene.practice.token(stranger)
    assert (await scene.gql.data(JOIN, {"id": first["id"]}, token))["session"] is None
    assert (await scene.gql.data(LIST, token=token))["sessions"]["edges"] == []


async def test_the_link_is_stable_across_reschedules(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    booked = await scene.book(at(1, 9))
    before = (await scene.as_coach(JOIN, id=booked["id"]))["session"]["joinUrl"]
    moved = (await scene.as_coach(MOVE, id=booked["id"], t=iso(at(2, 10))))["rescheduleSession"]
    assert moved["joinUrl"] == before


async def test_the_meeting_url_template_setting_builds_the_link(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    resources = scene.practice.resources
    resources.settings = resources.settings.with_(
        meeting_url_template="https://video.example.org/rooms/{room}?lang=en"
    )
    booked = await scene.book(at(1, 9))
    url = (await scene.as_coach(JOIN, id=booked["id"]))["session"]["joinUrl"]
    assert re.match(r"^https://video\.example\.org/rooms/[A-Za-z0-9_-]{22,}\?lang=en$", url)
