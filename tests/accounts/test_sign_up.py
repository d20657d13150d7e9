"""signUp through the API: a new client logged in at once; e-mail addresses checked and
normalised like login's; passwords, names and time zones checked; a registered address is
CONFLICT; sign-ups throttled per client address like failed logins."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from tests.conftest import GraphQLClient
from tests.sessions.conftest import count_rows
from tests.sessions.test_self_booking import PASSWORD, SIGN_UP, sign_up


async def test_sign_up_creates_a_client_who_is_logged_in_and_can_log_in_again(
    gql: GraphQLClient, manual_clock: Any
) -> None:
    payload = (
        await gql.data(SIGN_UP, {"e": "  Rosa.Diaz@Example.TEST ", "p": PASSWORD, "n": " Rosa "})
    )["signUp"]
    assert payload["viewer"] == {
        "id": payload["viewer"]["id"],
        "role": "CLIENT",
        "email": "rosa.diaz@example.test",
        "name": "Rosa",
        "timeZone": "UTC",
    }
    viewer = await gql.data("{ viewer { email } }", None, payload["token"])
    assert viewer["viewer"]["email"] == "rosa.diaz@example.test"
    login = await gql.data(
        'mutation($p: String!) { login(email: "ROSA.DIAZ@example.test", password: $p) { token } }',
        {"p": PASSWORD},
    )
    assert login["login"]["token"]


async def test_bad_sign_ups_are_refused_and_write_nothing(
    gql: GraphQLClient, db: Database, manual_clock: Any
) -> None:
    await sign_up(gql, "taken@example.test")
    users = await count_rows(db, "user_account")
    cases = [
        ({"e": "new@example.test", "p": "nine-char"}, "BAD_USER_INPUT"),
        ({"e": "no-at-sign", "p": PASSWORD}, "BAD_USER_INPUT"),
        ({"e": "two@@example.test", "p": PASSWORD}, "BAD_USER_INPUT"),
        ({"e": "@example.test", "p": PASSWORD}, "BAD_USER_INPUT"),
        ({"e": "a b@example.test", "p": PASSWORD}, "BAD_USER_INPUT"),
        ({"e": "nul\x00@example.test", "p": PASSWORD}, "BAD_USER_INPUT"),
        ({"e": "new@example.test", "p": PASSWORD, "tz": "Mars/Olympus_Mons"}, "BAD_USER_INPUT"),
        ({"e": "new@example.test", "p": PASSWORD, "tz": "../../etc/passwd"}, "BAD_USER_INPUT"),
        ({"e": "new@example.test", "p": PASSWORD, "n": "n" * 201}, "BAD_USER_INPUT"),
        ({"e": " TAKEN@example.test", "p": PASSWORD}, "CONFLICT"),
    ]
    for variables, code in cases:
        error = await gql.error(SIGN_UP, variables)
        assert error["extensions"]["code"] == code, (variables, error)
    assert await count_rows(db, "user_account") == users


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, sign_ups_per_address=3)


async def test_sign_ups_are_throttled_per_client_address(
    app: Starlette, gql: GraphQLClient, manual_clock: clock.ManualClock
) -> None:
    for n in range(3):
        await sign_up(gql, f"person{n}@example.test")
    error = await gql.error(SIGN_UP, {"e": "person3@example.test", "p": PASSWORD})
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == 3600
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as elsewhere:
        await sign_up(GraphQLClient(elsewhere), "person3@example.test")
    manual_clock.advance(timedelta(hours=1))
    await sign_up(gql, "person4@example.test")
