"""auditTrail: a client sees every event about their data, a coach their own reads; consent
changes are recorded in their transaction; events older than AUDIT_RETENTION_DAYS go."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from coach_graph import clock, events
from coach_graph.audit.jobs import RETENTION_JOB
from coach_graph.audit.models import AuditEvent
from coach_graph.audit.store import write_reads
from coach_graph.auditing import AuditAction, AuditRecorder
from coach_graph.clients.events import ConsentChanged
from coach_graph.clients.models import ConsentStatus
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.jobs import JobRunner
from tests.audit.conftest import trail_rows
from tests.conftest import T0, GraphQLClient, Practice
from tests.graph_data import uid

TRAIL = """query($c: ID, $first: Int, $after: String) {
  auditTrail(clientId: $c, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { at actorName actorRole action clientName } } } }"""
HISTORY = """query($id: ID!) { client(id: $id) { sessions { edges { node {
  notesPreview } } } } }"""
SET = """mutation($c: ID!, $s: ConsentStatus!) { setConsent(coachId: $c, status: $s) { status } }"""


async def trail(
    gql: GraphQLClient, token: str, client_id: object = None, **page: Any
) -> list[tuple[str, str, str, str]]:
    variables = {"c": None if client_id is None else str(client_id), **page}
    data = await gql.data(TRAIL, variables, token)
    return [
        (n["actorName"], n["actorRole"], n["action"], n["clientName"])
        for n in (e["node"] for e in data["auditTrail"]["edges"])
    ]


async def test_a_client_sees_every_event_about_them_and_a_coach_only_their_own_reads(
    gql: GraphQLClient,
    practice: Practice,
    resources: Resources,
    manual_clock: clock.ManualClock,
) -> None:
    ann, bea = await practice.coach("Ann Coach"), await practice.coach("Bea Coach")
    cleo = await practice.client(ann, "Cleo Client")
    await practice.link(bea, cleo, consent=ConsentStatus.GRANTED)
    dan = await practice.client(bea, "Dan Client")
    read = resources.audit.read
    read(uid(ann), uid(cleo), AuditAction.READ_JOURNAL)
    manual_clock.advance(timedelta(minutes=1))
    read(uid(bea), uid(cleo), AuditAction.READ_SURVEYS)
    manual_clock.advance(timedelta(minutes=1))
    read(uid(bea), uid(dan), AuditAction.EXPORT)
    await resources.audit.flush()
    manual_clock.advance(timedelta(minutes=1))
    await gql.data(SET, {"c": str(bea.id), "s": "DECLINED"}, await practice.token(cleo))

    cleo_token = await practice.token(cleo)
    assert await trail(gql, cleo_token) == [
        ("Cleo Client", "CLIENT", "CONSENT_CHANGED", "Cleo Client"),
        ("Bea Coach", "COACH", "READ_SURVEYS", "Cleo Client"),
        ("Ann Coach", "COACH", "READ_JOURNAL", "Cleo Client"),
    ]
    assert await trail(gql, cleo_token, cleo.id) == await trail(gql, cleo_token)
    assert await trail(gql, await practice.token(ann)) == [
        ("Ann Coach", "COACH", "READ_JOURNAL", "Cleo Client")
    ]
    bea_token = await practice.token(bea)
    assert await trail(gql, bea_token) == [
        ("Bea Coach", "COACH", "EXPORT", "Dan Client"),
        ("Bea Coach", "COACH", "READ_SURVEYS", "Cleo Client"),
    ]
    assert await trail(gql, bea_token, dan.id) == [("Bea Coach", "COACH", "EXPORT", "Dan Client")]
    # Another coach's reads about a client are never in a coach's trail, even when asked by id.
    assert await trail(gql, await practice.token(ann), dan.id) == []
    assert await trail(gql, await practice.token(dan)) == [
        ("Bea Coach", "COACH", "EXPORT", "Dan Client")
    ]


async def test_a_client_cannot_read_another_client_s_trail_nor_anyone_without_a_token(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    cleo, dan = await practice.client(coach), await practice.client(coach)
    resources.audit.read(uid(coach), uid(dan), AuditAction.READ_JOURNAL)
    await resources.audit.flush()
    for other in (dan.id, 999_999):
        error = await gql.error(TRAIL, {"c": str(other)}, await practice.token(cleo))
        assert error["extensions"]["code"] == "NOT_FOUND"
    error = await gql.error(TRAIL, {})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    error = await gql.error(TRAIL, {"first": 0}, await practice.token(cleo))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_trail_pages_newest_first_with_signed_cursors(
    gql: GraphQLClient, practice: Practice, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    cleo = await practice.client(coach)
    for _ in range(5):
        resources.audit.read(uid(coach), uid(cleo), AuditAction.READ_EMOTIONS)
        await resources.audit.flush()
        manual_clock.advance(timedelta(hours=1))
    token = await practice.token(cleo)
    ats: list[str] = []
    after = None
    while True:
        data = await gql.data(TRAIL, {"first": 2, "after": after}, token)
        page = data["auditTrail"]
        assert page["totalCount"] == 5
        ats += [e["node"]["at"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert ats == [f"2026-03-02T{h}:00:00Z" for h in ("14", "13", "12", "11", "10")]
    forged = after[:-2] + ("AA" if not after.endswith("AA") else "BB")
    error = await gql.error(TRAIL, {"first": 2, "after": forged}, token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_session_s_private_notes_and_an_export_are_recorded(
    gql: GraphQLClient,
    practice: Practice,
    resources: Resources,
    http: Any,
    manual_clock: clock.ManualClock,
) -> None:
    from tests.sessions.conftest import BOOK, SERVICES

    coach = await practice.coach()
    cleo = await practice.client(coach)
    token = await practice.token(coach)
    services = (await gql.data(SERVICES, token=token))["services"]
    starts = (T0 + timedelta(days=1)).replace(hour=11).isoformat().replace("+00:00", "Z")
    book = {"c": str(cleo.id), "s": services[0]["id"], "t": starts}
    await gql.data(BOOK.replace("privateNotes customerNotes", "id"), book, token)
    await resources.audit.flush()
    assert await trail_rows(resources.db) == []  # no notes yet: nothing private was read
    await gql.data(
        """mutation($id: ID!) { updateSessionNotes(id: $id, privateNotes: "Tired.") { id } }""",
        {"id": await _first_session(gql, token, cleo.id)},
        token,
    )
    await resources.audit.flush()
    assert await trail_rows(resources.db) == []  # written, not read back: nothing read
    await gql.data(HISTORY, {"id": str(cleo.id)}, token)
    response = await http.get(
        f"/exports/clients/{cleo.id}/sessions.csv", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    own = await practice.token(cleo)
    response = await http.get(
        f"/exports/clients/{cleo.id}/sessions.csv", headers={"Authorization": f"Bearer {own}"}
    )
    assert response.status_code == 200  # the client's own export is not on their trail
    await resources.audit.flush()
    assert {(r[0], r[1], r[2]) for r in await trail_rows(resources.db)} == {
        (uid(coach), uid(cleo), "READ_PRIVATE_NOTES"),
        (uid(coach), uid(cleo), "EXPORT"),
    }
    assert len(await trail_rows(resources.db)) == 2


async def test_private_notes_asked_through_a_fragment_of_one_session_are_recorded(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    from tests.sessions.conftest import BOOK, SERVICES

    coach = await practice.coach()
    cleo = await practice.client(coach)
    token = await practice.token(coach)
    services = (await gql.data(SERVICES, token=token))["services"]
    starts = (T0 + timedelta(days=1)).replace(hour=11).isoformat().replace("+00:00", "Z")
    book = {"c": str(cleo.id), "s": services[0]["id"], "t": starts}
    await gql.data(BOOK.replace("privateNotes customerNotes", "id"), book, token)
    session_id = await _first_session(gql, token, cleo.id)
    await gql.data(
        """mutation($id: ID!) { updateSessionNotes(id: $id, privateNotes: "Tired.") { id } }""",
        {"id": session_id},
        token,
    )
    one = "query($id: ID!) { session(id: $id) { id ... on Session { notesPreview } } }"
    assert (await gql.data(one, {"id": session_id}, token))["session"]["notesPreview"] == "Tired."
    await resources.audit.flush()
    assert {(r[0], r[1], r[2]) for r in await trail_rows(resources.db)} == {
        (uid(coach), uid(cleo), "READ_PRIVATE_NOTES")
    }


async def _first_session(gql: GraphQLClient, token: str, client_id: object) -> str:
    data = await gql.data(
        """query($id: ID!) { client(id: $id) { sessions { edges { node { id } } } } }""",
        {"id": str(client_id)},
        token,
    )
    session_id: str = data["client"]["sessions"]["edges"][0]["node"]["id"]
    return session_id


# A consent change refused after the trail recorded it: subscribed after every reaction of
# coach_graph (reactions.wire() ran when the suite started), for the coaches named here only.
_REFUSED_FOR: set[int] = set()


async def _refuse(session: AsyncSession, event: ConsentChanged) -> None:
    if event.coach_id in _REFUSED_FOR:
        raise RuntimeError("the consent change fails after the trail recorded it")


events.subscribe(ConsentChanged, _refuse)


async def test_a_consent_change_is_recorded_with_it_and_rolled_back_with_it(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach, other = await practice.coach(), await practice.coach()
    cleo = await practice.client(coach)
    await practice.link(other, cleo, consent=ConsentStatus.GRANTED)
    token = await practice.token(cleo)
    await gql.data(SET, {"c": str(coach.id), "s": "DECLINED"}, token)
    await gql.data(SET, {"c": str(coach.id), "s": "DECLINED"}, token)  # no change: no event
    assert await trail_rows(resources.db) == [(uid(cleo), uid(cleo), "CONSENT_CHANGED", T0)]
    _REFUSED_FOR.add(uid(other))
    try:
        error = await gql.error(SET, {"c": str(other.id), "s": "DECLINED"}, token)
        assert error["extensions"]["code"] == "INTERNAL"
    finally:
        _REFUSED_FOR.discard(uid(other))
    assert len(await trail_rows(resources.db)) == 1
    consents = await gql.data("{ myCoaches { coach { id } consent } }", token=token)
    assert {(c["coach"]["id"], c["consent"]) for c in consents["myCoaches"]} == {
        (str(coach.id), "DECLINED"),
        (str(other.id), "GRANTED"),
    }


async def test_the_retention_job_deletes_events_older_than_the_retention_days(
    practice: Practice, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    cleo = await practice.client(coach)
    keep = resources.settings.audit_retention_days
    assert keep == 730
    async with resources.db.transaction() as session:
        for days in (keep + 30, keep + 1, keep - 1, 0):
            at = T0 - timedelta(days=days)
            session.add(
                AuditEvent(
                    actor_id=uid(coach),
                    client_id=uid(cleo),
                    action=AuditAction.READ_JOURNAL.value,
                    at=at,
                    hour=at,
                )
            )
    runner = JobRunner(resources, [RETENTION_JOB])
    assert await runner.run_once(RETENTION_JOB)
    assert [r[3] for r in await trail_rows(resources.db)] == [
        T0 - timedelta(days=keep - 1),
        T0,
    ]
    manual_clock.advance(timedelta(days=2))
    assert await runner.run_once(RETENTION_JOB)
    assert [r[3] for r in await trail_rows(resources.db)] == [T0]


@pytest.mark.parametrize("days", ["0", "-3"])
def test_a_retention_shorter_than_a_day_is_refused_at_start(days: str) -> None:
    with pytest.raises(ValueError, match="AUDIT_RETENTION_DAYS"):
        Settings.from_env({"AUDIT_RETENTION_DAYS": days})


def test_the_audit_settings_are_read_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.audit_trail, defaults.audit_retention_days) == (True, 730)
    assert defaults.audit_flush_seconds == 5.0
    env = {"AUDIT_TRAIL": "0", "AUDIT_RETENTION_DAYS": "90", "AUDIT_FLUSH_SECONDS": "2.5"}
    settings = Settings.from_env(env)
    assert (settings.audit_trail, settings.audit_retention_days) == (False, 90)
    assert settings.audit_flush_seconds == 2.5


async def test_with_the_trail_off_no_read_is_noted(resources: Resources) -> None:
    off = AuditRecorder(partial(write_reads, resources.db), enabled=False)
    off.read(1, 2, AuditAction.READ_JOURNAL)
    assert off.pending == 0
