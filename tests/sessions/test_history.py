from __future__ import annotations

from datetime import timedelta
from typing import Any

from coach_graph import clock
from coach_graph.db import Database
from tests.conftest import count_statements, count_tasks
from tests.sessions.conftest import BOOK, Scene, at, iso

HISTORY = """query($f: SessionFilter, $s: SessionSort, $n: Int, $a: String) {
  sessions(filter: $f, sort: $s, first: $n, after: $a) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id startsAt status durationMinutes clientName notesPreview privateNotes
                   customerNotes canJoin service { id name } calendar { name }
                   client { id name } } }
  }
}"""


async def _five(scene: Scene, manual_clock: clock.ManualClock) -> list[dict[str, Any]]:
    """Five sessions: three in the past (completed, cancelled, no-show), two upcoming."""
    made = [
        await scene.book(at(1, 9), 60, pn="A" * 100),
        await scene.book(at(1, 11), 30),
        await scene.book(at(2, 9), 45),
        await scene.book(at(8, 9), 60),
        await scene.book(at(9, 9), 30),
    ]
    manual_clock.set(at(3, 8))
    for s, status in zip(made[:3], ("COMPLETED", "CANCELLED", "NO_SHOW"), strict=True):
        await scene.as_coach(
            "mutation($id: ID!, $st: SessionStatus!) { updateSessionStatus(id: "
            "$id, status: $st) { id } }",
            id=s["id"],
            st=status,
        )
    return made


def ids(data: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in data["sessions"]["edges"]]


async def test_history_sorts_newest_first_by_default_and_oldest_first_on_request(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    made = [s["id"] for s in await _five(scene, manual_clock)]
    newest = await scene.as_coach(HISTORY)
    assert ids(newest) == list(reversed(made))
    assert newest["sessions"]["totalCount"] == 5
    oldest = await scene.as_coach(HISTORY, s="OLDEST_FIRST")
    assert ids(oldest) == made


async def test_history_sorted_by_status_groups_statuses(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    await _five(scene, manual_clock)
    data = await scene.as_coach(HISTORY, s="STATUS")
    statuses = [e["node"]["status"] for e in data["sessions"]["edges"]]
    assert statuses == ["CONFIRMED", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"]


async def test_history_filters_by_when_status_service_dates_and_client(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    made = [s["id"] for s in await _five(scene, manual_clock)]
    upcoming = await scene.as_coach(HISTORY, f={"when": "UPCOMING"})
    assert sorted(ids(upcoming)) == sorted(made[3:])
    past = await scene.as_coach(HISTORY, f={"when": "PAST"})
    assert sorted(ids(past)) == sorted(made[:3])
    by_status = await scene.as_coach(HISTORY, f={"statuses": ["COMPLETED", "NO_SHOW"]})
    assert sorted(ids(by_status)) == sorted([made[0], made[2]])
    by_service = await scene.as_coach(HISTORY, f={"serviceIds": [scene.services[30]]})
    assert sorted(ids(by_service)) == sorted([made[1], made[4]])
    by_dates = await scene.as_coach(HISTORY, f={"from": iso(at(1, 10)), "to": iso(at(8, 9))})
    assert sorted(ids(by_dates)) == sorted(made[1:3])
    assert by_dates["sessions"]["totalCount"] == 2
    other = await scene.practice.client(scene.coach)
    by_client = await scene.as_coach(HISTORY, f={"clientId": str(other.id)})
    assert ids(by_client) == []
    on_client = await scene.as_coach(
        """query($id: ID!) { client(id: $id) { sessions(filter: {when: PAST}, sort: OLDEST_FIRST)
             { totalCount edges { node { id } } } } }""",
        id=str(scene.client.id),
    )
    assert [e["node"]["id"] for e in on_client["client"]["sessions"]["edges"]] == made[:3]


async def test_history_pages_follow_the_cursor_without_gaps(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    made = [s["id"] for s in await _five(scene, manual_clock)]
    for sort, expected in (
        ("NEWEST_FIRST", list(reversed(made))),
        ("OLDEST_FIRST", made),
        ("STATUS", None),
    ):
        seen: list[str] = []
        after = None
        for _ in range(5):
            page = await scene.as_coach(HISTORY, s=sort, n=2, a=after)
            seen += ids(page)
            if not page["sessions"]["pageInfo"]["hasNextPage"]:
                break
            after = page["sessions"]["pageInfo"]["endCursor"]
        full = ids(await scene.as_coach(HISTORY, s=sort))
        assert seen == (expected or full)


CLIENT_HISTORY = """query($id: ID!, $s: SessionSort, $n: Int, $a: String) {
  client(id: $id) { sessions(sort: $s, first: $n, after: $a) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }"""


async def test_a_client_s_history_pages_follow_the_cursor_without_gaps(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    """Client.sessions has its own batched path (ranked per client): same paging contract."""
    await _five(scene, manual_clock)
    for sort in ("NEWEST_FIRST", "OLDEST_FIRST", "STATUS"):
        seen: list[str] = []
        after = None
        for _ in range(5):
            data = await scene.as_coach(
                CLIENT_HISTORY, id=str(scene.client.id), s=sort, n=2, a=after
            )
            page = data["client"]["sessions"]
            seen += [e["node"]["id"] for e in page["edges"]]
            assert page["totalCount"] == 5
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        full = await scene.as_coach(CLIENT_HISTORY, id=str(scene.client.id), s=sort)
        assert seen == [e["node"]["id"] for e in full["client"]["sessions"]["edges"]]
        assert len(seen) == 5, sort
    for variables in ({"a": "garbage"}, {"n": 101}, {"n": 0}):
        error = await scene.gql.error(
            CLIENT_HISTORY, {"id": str(scene.client.id), **variables}, scene.coach_token
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables


async def test_a_bad_cursor_or_page_size_is_bad_user_input(scene: Scene) -> None:
    for variables in ({"a": "garbage"}, {"n": 101}, {"n": 0}):
        error = await scene.gql.error(HISTORY, variables, scene.coach_token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables


async def test_private_notes_and_their_preview_are_the_coach_s_alone(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    await scene.book(at(1, 9), 60, pn="P" * 100, cn="bring a notebook")
    coach_view = (await scene.as_coach(HISTORY))["sessions"]["edges"][0]["node"]
    assert coach_view["privateNotes"] == "P" * 100
    assert coach_view["notesPreview"] == "P" * 80
    assert coach_view["clientName"] == "Client Cleo"
    client_view = (await scene.as_client(HISTORY))["sessions"]["edges"][0]["node"]
    assert client_view["privateNotes"] is None and client_view["notesPreview"] is None
    assert client_view["customerNotes"] == "bring a notebook"
    assert client_view["client"]["id"] == str(scene.client.id)


async def test_can_join_from_15_minutes_before_until_the_end(
    scene: Scene, manual_clock: clock.ManualClock
) -> None:
    booked = await scene.book(at(1, 9), 30)
    query = "query($id: ID!) { session(id: $id) { canJoin } }"

    async def can_join() -> bool:
        data = await scene.as_coach(query, id=booked["id"])
        return bool(data["session"]["canJoin"])

    manual_clock.set(at(1, 9) - timedelta(minutes=16))
    assert not await can_join()
    manual_clock.set(at(1, 9) - timedelta(minutes=15))
    assert await can_join()
    manual_clock.set(at(1, 9, 29))
    assert await can_join()
    manual_clock.set(at(1, 9, 30))
    assert not await can_join()


async def test_a_session_of_someone_else_answers_like_one_that_does_not_exist(
    scene: Scene,
) -> None:
    booked = await scene.book(at(1, 9), 30)
    other_coach = await scene.practice.coach()
    other_client = await scene.practice.client(other_coach)
    query = "query($id: ID!) { session(id: $id) { id } }"
    for user in (other_coach, other_client):
        token = await scene.practice.token(user)
        assert (await scene.gql.data(query, {"id": booked["id"]}, token)) == {"session": None}
        assert (await scene.gql.data(query, {"id": "987654"}, token)) == {"session": None}
        listed = await scene.gql.data("{ sessions { totalCount } }", None, token)
        assert listed["sessions"]["totalCount"] == 0


async def test_the_history_page_costs_the_same_statements_for_10_and_100_rows(
    scene: Scene, db: Database, manual_clock: clock.ManualClock
) -> None:
    # 100 sessions: every weekday from 09:00 to 16:00, one hour each, over three weeks.
    day, hour, booked = 1, 9, 0
    while booked < 100:
        if at(day, 0).weekday() >= 5:
            day += 1
            continue
        await scene.book(at(day, hour), 30, pn="notes")
        booked += 1
        hour += 1
        if hour > 16:
            day, hour = day + 1, 9

    async def statements(n: int) -> int:
        with count_statements(db) as seen:
            data = await scene.as_coach(HISTORY, n=n)
        assert len(data["sessions"]["edges"]) == n
        return len(seen)

    assert await statements(10) == await statements(100)


async def test_a_history_page_resolves_its_rows_without_a_task_per_row(scene: Scene) -> None:
    """service, clientName and calendar are primed for the page: rows answer at once."""
    for hour in range(9, 17):
        await scene.book(at(1, hour), 30)
    with count_tasks() as created:
        data = await scene.as_coach(
            "{ sessions(first: 50) { edges { node { id clientName service { name } "
            "calendar { name } } } } }"
        )
    assert len(data["sessions"]["edges"]) == 8
    assert {e["node"]["clientName"] for e in data["sessions"]["edges"]} == {"Client Cleo"}
    assert created == []


CLIENTS_WITH_SESSIONS = """{ clients(first: 50) { edges { node { id
  sessions(first: 2, sort: OLDEST_FIRST) {
    totalCount pageInfo { hasNextPage } edges { node { id startsAt service { name } } } }
} } } }"""


async def test_sessions_inside_a_client_list_run_a_constant_number_of_statements(
    scene: Scene, db: Database
) -> None:
    """Each client's page comes from one statement for all clients (ranked per client)."""

    async def add_clients(n: int, first_day: int) -> None:
        for i in range(n):
            client = await scene.practice.client(scene.coach, f"Listed {first_day}-{i}")
            for hour in (9, 10, 11):  # three sessions each, on the client's own day
                variables = {
                    "c": str(client.id),
                    "s": scene.services[30],
                    "t": iso(at(first_day + i * 7, hour)),
                }
                await scene.gql.data(BOOK, variables, scene.coach_token)

    async def statements() -> tuple[int, dict[str, Any]]:
        with count_statements(db) as seen:
            data = await scene.as_coach(CLIENTS_WITH_SESSIONS)
        return len(seen), data

    await add_clients(3, 1)
    few, _ = await statements()
    await add_clients(7, 2)
    many, data = await statements()
    assert few == many
    pages = [e["node"]["sessions"] for e in data["clients"]["edges"]]
    with_sessions = [p for p in pages if p["totalCount"]]
    assert len(with_sessions) == 10
    for page in with_sessions:
        assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
        starts = [e["node"]["startsAt"] for e in page["edges"]]
        assert len(starts) == 2 and starts == sorted(starts)


async def test_one_client_s_history_page_primes_its_rows(scene: Scene) -> None:
    """A client's page on its own (not inside a list of clients) primes service and client."""
    for hour in range(9, 17):
        await scene.book(at(1, hour), 30)
    query = """query($id: ID!) { client(id: $id) { sessions(first: 50) {
      edges { node { id clientName service { name } } } } } }"""
    with count_tasks() as created:
        data = await scene.as_coach(query, id=str(scene.client.id))
    assert len(data["client"]["sessions"]["edges"]) == 8
    assert created == []  # the page reads at once (Loaders.alone), and none for its 8 rows
