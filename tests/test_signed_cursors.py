"""Cursors are signed (SPEC.md "Errors and bad input"): every connection reads back only the
cursors the service handed out. Edited, truncated, re-encoded, unsigned or foreign-key cursors
are BAD_USER_INPUT; the key is the same across a restart and in every worker."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from coach_graph.alerts.models import AlertCategory
from coach_graph.alerts.store import raise_alert
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.errors import BadUserInput
from coach_graph.pagination import SIGNATURE_BYTES, Cursors
from coach_graph.stored_keys import open_cursors, stored_key
from tests.conftest import GraphQLClient, Practice

NOT_VALID = "That `after` cursor is not valid here."
OTHER_KEY = b"a key this service never had"


@dataclass(frozen=True)
class Connection:
    """A connection as the API offers it: a document taking `$a` (and `$id`), who asks, and
    where the connection sits in the answer."""

    document: str
    as_client: bool
    path: tuple[str, ...]


def _connection(
    field: str, *, parent: str = "", id_type: str = "ID!", as_client: bool = False
) -> Connection:
    inner = f"{field}(first: 1, after: $a) {{ edges {{ cursor }} pageInfo {{ endCursor }} }}"
    name = field.split("(")[0]
    if not parent:
        return Connection(f"query($a: String) {{ {inner} }}", as_client, (name,))
    head = parent.split("(")[0]
    return Connection(
        f"query($a: String, $id: {id_type}) {{ {parent} {{ {inner} }} }}", as_client, (head, name)
    )


CONNECTIONS = {
    "clients": _connection("clients"),
    "sessions": _connection("sessions"),
    "alerts": _connection("alerts"),
    "notifications": _connection("notifications", as_client=True),
    "client.sessions": _connection("sessions", parent="client(id: $id)"),
    "client.journalEntries": _connection("journalEntries", parent="client(id: $id)"),
    "client.timeline": _connection("timeline", parent="client(id: $id)"),
    "conversation.messages": _connection(
        "messages", parent="conversation(clientId: $id)", id_type="ID"
    ),
}
BOOK = """mutation($c: ID!) {
  bookSession(clientId: $c, serviceId: "1", startsAt: "2026-03-03T10:00:00Z") { id } }"""
WRITE = 'mutation { createJournalEntry(content: "A good week.") { id } }'
SEND = 'mutation($c: ID!) { sendMessage(clientId: $c, body: "Hello") { id } }'


@dataclass
class Scene:
    """A coach and a GRANTED client with at least one item in every connection."""

    client_id: int
    coach_token: str
    client_token: str

    async def ask(
        self, gql: GraphQLClient, connection: Connection, after: str | None
    ) -> dict[str, Any]:
        token = self.client_token if connection.as_client else self.coach_token
        return await gql(connection.document, {"a": after, "id": str(self.client_id)}, token)

    async def cursor(self, gql: GraphQLClient, connection: Connection) -> str:
        """The cursor of the connection's first item."""
        body = await self.ask(gql, connection, None)
        assert not body.get("errors"), body
        page = _page(body, connection)
        assert page is not None
        cursor: str = page["edges"][0]["cursor"]
        return cursor


def _page(body: dict[str, Any], connection: Connection) -> dict[str, Any] | None:
    """The connection in an answer; None when the answer holds none."""
    node: Any = body.get("data")
    for step in connection.path:
        if node is None:
            return None
        node = node[step]
    return None if node is None else dict(node)


@pytest.fixture
async def scene(gql: GraphQLClient, practice: Practice, resources: Resources) -> Scene:
    coach = await practice.coach()
    client = await practice.client(coach, name="Ada")
    assert coach.id is not None and client.id is not None
    scene = Scene(client.id, await practice.token(coach), await practice.token(client))
    for document, token in [(BOOK, scene.coach_token), (SEND, scene.coach_token)]:
        assert not (await gql(document, {"c": str(client.id)}, token)).get("errors")
    assert not (await gql(WRITE, token=scene.client_token)).get("errors")
    async with resources.db.transaction() as session:
        await raise_alert(
            session,
            coach_id=coach.id,
            client_id=client.id,
            category=AlertCategory.JOURNAL,
            cause="test",
            title="Ada wrote",
            message="A journal entry to read.",
        )
    return scene


def _bytes(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _flipped(cursor: str, at: int) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    other = alphabet[(alphabet.index(cursor[at]) + 1) % len(alphabet)]
    return cursor[:at] + other + cursor[at + 1 :]


def _edited(cursor: str) -> str:
    """The content changed (the id one further) and re-encoded behind the old signature."""
    raw = _bytes(cursor)
    signature, values = raw[:SIGNATURE_BYTES], json.loads(raw[SIGNATURE_BYTES:])
    values[-1] += 1
    return _text(signature + json.dumps(values, separators=(",", ":")).encode())


def _content(cursor: str) -> list[Any]:
    values: list[Any] = json.loads(_bytes(cursor)[SIGNATURE_BYTES:])
    return values


def tampered(cursor: str) -> dict[str, str]:
    """Every way of changing a cursor the service handed out."""
    unsigned = _bytes(cursor)[SIGNATURE_BYTES:]
    return {
        "first character flipped": _flipped(cursor, 0),
        "a middle character flipped": _flipped(cursor, len(cursor) // 2),
        "last character flipped": _flipped(cursor, len(cursor) - 1),
        "content edited behind the old signature": _edited(cursor),
        "signature removed": _text(unsigned),
        "truncated by one": cursor[:-1],
        "truncated to half": cursor[: len(cursor) // 2],
        "padded": cursor + "==",
        "signed with another key": Cursors(OTHER_KEY).encode(*_content(cursor)),
    }


@pytest.mark.parametrize("name", list(CONNECTIONS))
async def test_a_tampered_cursor_is_bad_user_input_on_every_connection(
    gql: GraphQLClient, scene: Scene, name: str
) -> None:
    connection = CONNECTIONS[name]
    cursor = await scene.cursor(gql, connection)
    assert not (await scene.ask(gql, connection, cursor)).get("errors")
    for how, after in tampered(cursor).items():
        assert after != cursor
        body = await scene.ask(gql, connection, after)
        assert _page(body, connection) is None, (how, body)  # no page, not even an empty one
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (how, error)
        assert error["message"] == NOT_VALID, how


def test_flipping_any_one_character_of_a_cursor_makes_it_refused() -> None:
    cursors = Cursors(b"tests/test_signed_cursors.py key")
    cursor = cursors.encode({"t": "2026-03-02T10:00:00+00:00"}, 42)
    assert set(cursor) <= set(string.ascii_letters + string.digits + "-_")  # URL-safe
    assert cursors.decode(cursor, 2) is not None
    for at in range(len(cursor)):
        with pytest.raises(BadUserInput):
            cursors.decode(_flipped(cursor, at), 2)


@asynccontextmanager
async def another_app(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """A second app over the same database (a restart, or another worker), with its client."""
    from coach_graph.app import create_app

    application: Starlette = create_app(settings, jobs=[])
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


async def _my_clients(gql: GraphQLClient, token: str, after: str | None) -> list[str]:
    data = await gql.data(
        "query($a: String) { clients(first: 2, after: $a) { edges { node { name } } } }",
        {"a": after},
        token,
    )
    return [e["node"]["name"] for e in data["clients"]["edges"]]


async def _second_page_cursor(gql: GraphQLClient, token: str) -> str:
    data = await gql.data("{ clients(first: 2) { pageInfo { endCursor } } }", token=token)
    cursor: str = data["clients"]["pageInfo"]["endCursor"]
    return cursor


async def test_two_workers_and_a_restart_accept_each_others_cursors(
    gql: GraphQLClient, practice: Practice, settings: Settings
) -> None:
    coach = await practice.coach()
    for name in ("Ada", "Bo", "Cy", "Di"):
        await practice.client(coach, name=name)
    token = await practice.token(coach)
    first_worker = await _second_page_cursor(gql, token)
    async with another_app(settings) as second:
        assert await _my_clients(second, token, first_worker) == ["Cy", "Di"]
        second_worker = await _second_page_cursor(second, token)
        assert await _my_clients(gql, token, second_worker) == ["Cy", "Di"]
    # The second worker has stopped; started again over the same database, it reads the
    # cursors it handed out before, and the first worker's.
    async with another_app(settings) as restarted:
        for cursor in (second_worker, first_worker):
            assert await _my_clients(restarted, token, cursor) == ["Cy", "Di"]


async def test_with_cursor_secret_set_cursors_are_signed_with_it(
    gql: GraphQLClient, practice: Practice, settings: Settings
) -> None:
    coach = await practice.coach()
    for name in ("Ada", "Bo", "Cy"):
        await practice.client(coach, name=name)
    token = await practice.token(coach)
    stored_key_cursor = await _second_page_cursor(gql, token)
    secret = "a secret shared by every worker"
    async with another_app(settings.with_(cursor_secret=secret)) as configured:
        own = await _second_page_cursor(configured, token)
        assert Cursors(secret.encode()).decode(own, 2) is not None
        assert await _my_clients(configured, token, own) == ["Cy"]
        refused = await configured.error(
            "query($a: String) { clients(after: $a) { totalCount } }",
            {"a": stored_key_cursor},
            token,
        )
        assert refused["extensions"]["code"] == "BAD_USER_INPUT"


async def test_workers_starting_at_once_agree_on_one_stored_key(database_url: str) -> None:
    workers = [Database(database_url) for _ in range(6)]
    try:
        await workers[0].migrate()
        name = f"race-{id(workers)}"
        keys = await asyncio.gather(*(stored_key(db, name) for db in workers))
        assert len(set(keys)) == 1 and len(keys[0]) >= 32
        signers = await asyncio.gather(*(open_cursors(db, None) for db in workers))
        cursor = signers[0].encode("Ada", 1)
        assert all(signer.decode(cursor, 2) == ("Ada", 1) for signer in signers)
    finally:
        for db in workers:
            await db.dispose()


def test_cursor_secret_is_read_from_the_environment_and_kept_out_of_reprs() -> None:
    secret = "0123456789abcdef-long-enough"
    settings = Settings.from_env({"CURSOR_SECRET": secret})
    assert settings.cursor_secret == secret and secret not in repr(settings)
    assert Settings.from_env({"CURSOR_SECRET": ""}).cursor_secret is None
    with pytest.raises(ValueError, match="CURSOR_SECRET"):
        Settings.from_env({"CURSOR_SECRET": "short"})


@pytest.mark.parametrize("key_bytes", [16, 32, 63, 64, 65, 200])
def test_a_cursor_is_signed_with_hmac_sha256_of_its_content_under_any_key(key_bytes: int) -> None:
    """The signature is RFC 2104's HMAC-SHA-256 (as `hmac.digest` computes it), whatever the
    key's length (a key longer than SHA-256's block is hashed first), cut to 16 bytes."""
    key = bytes(range(256))[:key_bytes] if key_bytes <= 256 else b""
    cursors = Cursors(key)
    cursor = cursors.encode({"t": "2026-03-02T10:00:00+00:00"}, 42, "Zoë")
    signed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    signature, content = signed[:SIGNATURE_BYTES], signed[SIGNATURE_BYTES:]
    assert signature == hmac.digest(key, content, "sha256")[:SIGNATURE_BYTES]
    for message in (b"", b"x" * 1000, content):
        expected = hmac.digest(key, message, "sha256")[:SIGNATURE_BYTES]
        assert cursors._signature(message) == expected
