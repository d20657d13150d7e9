"""The access matrix of SPEC "Actors and access": consent governs a client's DATA, not
scheduling. Every operation that takes a client or session id, through the API, for the coach,
another coach, the client and an anonymous caller, with the client's consent GRANTED, PENDING,
DECLINED or the client deleted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.clients.models import ConsentStatus
from tests.conftest import GraphQLClient, Practice
from tests.sessions.conftest import SERVICES, at, iso

ACTORS = ("coach", "other coach", "client", "anonymous")
CONSENTS = ("GRANTED", "PENDING", "DECLINED", "deleted")
LINKED = ("GRANTED", "PENDING", "DECLINED")


@dataclass
class World:
    gql: GraphQLClient
    http: httpx.AsyncClient
    coach: User
    client: User
    session_id: str
    service_id: str
    token: str | None  # the actor's
    actor: str

    async def call(self, document: str, field: str, **variables: Any) -> str:
        """ "ok", "null", "empty" (a list with nothing in it) or the error's code."""
        body = await self.gql(document, variables, self.token)
        if body.get("errors"):
            return str(body["errors"][0]["extensions"]["code"])
        value = body["data"][field]
        if value is None:
            return "null"
        if isinstance(value, dict) and "totalCount" in value:
            return "ok" if value["totalCount"] else "empty"
        return "ok"

    def other_side(self) -> dict[str, str]:
        """sendMessage/conversation: a coach names the client, a client the coach."""
        if self.actor == "client":
            return {"coach": str(self.coach.id)}
        return {"client": str(self.client.id)}


async def _session(w: World) -> str:
    return await w.call("query($id: ID!) { session(id: $id) { id } }", "session", id=w.session_id)


async def _session_client(w: World) -> str:
    body = await w.gql(
        "query($id: ID!) { session(id: $id) { clientName clientEmail client { id } } }",
        {"id": w.session_id},
        w.token,
    )
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    found = body["data"]["session"]
    return "null" if found is None or found["client"] is None else "ok"


async def _sessions_of_client(w: World) -> str:
    return await w.call(
        "query($c: ID!) { sessions(filter: {clientId: $c}) { totalCount } }",
        "sessions",
        c=str(w.client.id),
    )


async def _book(w: World) -> str:
    return await w.call(
        "mutation($c: ID!, $s: ID!, $t: DateTime!) {"
        " bookSession(clientId: $c, serviceId: $s, startsAt: $t) { id } }",
        "bookSession",
        c=str(w.client.id),
        s=w.service_id,
        t=iso(at(2, 10)),
    )


async def _reschedule(w: World) -> str:
    return await w.call(
        "mutation($id: ID!, $t: DateTime!) { rescheduleSession(id: $id, startsAt: $t) { id } }",
        "rescheduleSession",
        id=w.session_id,
        t=iso(at(3, 10)),
    )


async def _status(w: World) -> str:  # the session was booked PENDING
    return await w.call(
        "mutation($id: ID!) { updateSessionStatus(id: $id, status: CONFIRMED) { id } }",
        "updateSessionStatus",
        id=w.session_id,
    )


async def _notes(w: World) -> str:
    return await w.call(
        'mutation($id: ID!) { updateSessionNotes(id: $id, privateNotes: "seen") { id } }',
        "updateSessionNotes",
        id=w.session_id,
    )


async def _cancel(w: World) -> str:
    return await w.call(
        "mutation($id: ID!) { cancelSession(id: $id) { id } }", "cancelSession", id=w.session_id
    )


async def _export_csv(w: World) -> str:
    headers = {"Authorization": f"Bearer {w.token}"} if w.token else {}
    response = await w.http.get(f"/exports/clients/{w.client.id}/sessions.csv", headers=headers)
    return {200: "ok", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}.get(
        response.status_code, str(response.status_code)
    )


async def _send_message(w: World) -> str:
    return await w.call(
        'mutation($client: ID, $coach: ID) { sendMessage(clientId: $client, coachId: $coach, body: "Hi") { id } }',  # noqa: E501
        "sendMessage",
        **w.other_side(),
    )


async def _conversation(w: World) -> str:
    return await w.call(
        "query($client: ID, $coach: ID) { conversation(clientId: $client, coachId: $coach) { id } }",  # noqa: E501
        "conversation",
        **w.other_side(),
    )


async def _client(w: World) -> str:
    return await w.call("query($id: ID!) { client(id: $id) { id } }", "client", id=str(w.client.id))


# In this order: reads first, then writes that leave the session live, cancelling last.
OPERATIONS: dict[str, Callable[[World], Awaitable[str]]] = {
    "session": _session,
    "session.client": _session_client,
    "sessions(clientId)": _sessions_of_client,
    "client(id)": _client,
    "conversation": _conversation,
    "export CSV": _export_csv,
    "sendMessage": _send_message,
    "updateSessionNotes": _notes,
    "bookSession": _book,
    "rescheduleSession": _reschedule,
    "updateSessionStatus": _status,
    "cancelSession": _cancel,
}
COACH_ONLY = {
    "updateSessionNotes",
    "bookSession",
    "rescheduleSession",
    "updateSessionStatus",
    "cancelSession",
}


def expected(actor: str, consent: str, operation: str) -> str:
    if actor == "anonymous":
        return "UNAUTHENTICATED"
    if actor == "other coach":  # nothing of another coach's practice exists for them
        return {"session.client": "null", "session": "null", "conversation": "null"}.get(
            operation,
            {"sessions(clientId)": "empty", "client(id)": "null"}.get(operation, "NOT_FOUND"),
        )
    if actor == "client":
        if operation in COACH_ONLY:
            return "FORBIDDEN"
        if consent in LINKED or operation in ("client(id)", "export CSV"):
            return "ok"  # their own sessions and data, whatever consent they gave the coach
        return {"sendMessage": "NOT_FOUND", "sessions(clientId)": "empty"}.get(operation, "null")
    # The coach: scheduling and messages with every linked client; data only while GRANTED.
    if operation in ("client(id)", "session.client"):
        return "ok" if consent == "GRANTED" else "null"
    if consent in LINKED:
        return "ok"
    return {  # deleted: the session stays (cancelled, "Deleted Client"), the person is gone
        "session": "ok",
        "updateSessionNotes": "ok",
        "sessions(clientId)": "empty",
        "conversation": "null",
        "rescheduleSession": "CONFLICT",
        "updateSessionStatus": "CONFLICT",
        "cancelSession": "CONFLICT",
    }.get(operation, "NOT_FOUND")


@pytest.mark.parametrize("consent", CONSENTS)
@pytest.mark.parametrize("actor", ACTORS)
async def test_every_operation_with_a_client_or_session_id_follows_the_access_rules(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    practice: Practice,
    manual_clock: clock.ManualClock,
    actor: str,
    consent: str,
) -> None:
    coach = await practice.coach("Coach Carter")
    status = ConsentStatus.GRANTED if consent == "deleted" else ConsentStatus(consent)
    client = await practice.client(coach, "Client Cleo", consent=status)
    coach_token = await practice.token(coach)
    services = (await gql.data(SERVICES, token=coach_token))["services"]
    service_id = next(s["id"] for s in services if s["durationMinutes"] == 60)
    booked = await gql.data(
        "mutation($c: ID!, $s: ID!, $t: DateTime!) { bookSession(clientId: $c, serviceId: $s,"
        " startsAt: $t, status: PENDING) { id } }",
        {"c": str(client.id), "s": service_id, "t": iso(at(1, 10))},
        coach_token,
    )
    if consent == "deleted":
        await gql.data(
            "mutation($id: ID!) { deleteClient(id: $id) }", {"id": str(client.id)}, coach_token
        )
    token = {
        "coach": coach_token,
        "other coach": await practice.token(await practice.coach("Other Olga")),
        "client": await practice.token(client),
        "anonymous": None,
    }[actor]
    world = World(gql, http, coach, client, booked["bookSession"]["id"], service_id, token, actor)
    got = {name: await operation(world) for name, operation in OPERATIONS.items()}
    assert got == {name: expected(actor, consent, name) for name in OPERATIONS}
