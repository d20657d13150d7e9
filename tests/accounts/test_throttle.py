"""Failed logins are throttled per (account, client address) and per client address, without
letting anyone lock an account; the client address honours X-Forwarded-For only from proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from coach_graph import clock
from coach_graph.accounts.throttle import client_address
from coach_graph.config import Settings
from tests.conftest import PASSWORD, Practice

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""

Address = Callable[[str], AbstractAsyncContextManager["Login"]]


class Login:
    """Logs in over HTTP from one client address (the socket peer the app sees)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, email: str, password: str, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"e": email, "p": password}},
            headers=headers or {},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def code(self, email: str, password: str, **kw: Any) -> str | None:
        body = await self(email, password, **kw)
        return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


@pytest.fixture
def from_address(app: Starlette) -> Address:
    @asynccontextmanager
    async def connect(host: str) -> AsyncIterator[Login]:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Login(http)

    return connect


async def test_five_failures_throttle_that_address_but_another_address_still_logs_in(
    practice: Practice, from_address: Address, manual_clock: clock.ManualClock
) -> None:
    await practice.coach(email="ada@example.test")
    async with from_address("203.0.113.7") as attacker, from_address("198.51.100.2") as owner:
        for _ in range(5):
            assert await attacker.code("ada@example.test", "wrong-wrong") == "UNAUTHENTICATED"
        refused = await attacker("ada@example.test", PASSWORD)
        error = refused["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < error["extensions"]["retryAfter"] <= 15 * 60
        assert (await owner("ada@example.test", PASSWORD))["data"]["login"]["token"]

        manual_clock.advance(timedelta(seconds=error["extensions"]["retryAfter"]))
        assert (await attacker("ada@example.test", PASSWORD))["data"]["login"]["token"]


async def test_retry_after_counts_down_with_the_clock(
    practice: Practice, from_address: Address, manual_clock: clock.ManualClock
) -> None:
    await practice.coach(email="ada@example.test")
    async with from_address("203.0.113.7") as attacker:
        for _ in range(5):
            await attacker("ada@example.test", "wrong-wrong")
        manual_clock.advance(timedelta(minutes=10))
        error = (await attacker("ada@example.test", PASSWORD))["errors"][0]
        assert error["extensions"]["retryAfter"] == 5 * 60


async def test_one_address_failing_across_many_accounts_is_throttled(
    practice: Practice, from_address: Address, settings: Settings
) -> None:
    await practice.coach(email="ada@example.test")
    limit = settings.login_max_failures_per_address
    async with from_address("203.0.113.9") as sprayer, from_address("198.51.100.2") as owner:
        for i in range(limit):
            assert await sprayer.code(f"user{i}@example.test", "guess-guess") == "UNAUTHENTICATED"
        assert await sprayer.code("ada@example.test", PASSWORD) == "RATE_LIMITED"
        assert await owner.code("ada@example.test", PASSWORD) is None


async def test_a_successful_login_forgets_that_address_failures_for_the_account(
    practice: Practice, from_address: Address
) -> None:
    await practice.coach(email="ada@example.test")
    async with from_address("198.51.100.2") as owner:
        for _ in range(4):
            await owner("ada@example.test", "typo-typo")
        assert await owner.code("ada@example.test", PASSWORD) is None
        for _ in range(4):
            await owner("ada@example.test", "typo-typo")
        assert await owner.code("ada@example.test", PASSWORD) is None


async def test_forwarded_for_from_an_untrusted_peer_changes_nothing(
    practice: Practice, from_address: Address
) -> None:
    await practice.coach(email="ada@example.test")
    async with from_address("203.0.113.7") as attacker:
        for i in range(5):
            forged = {"X-Forwarded-For": f"192.0.2.{i}"}
            await attacker("ada@example.test", "wrong-wrong", headers=forged)
        fresh = {"X-Forwarded-For": "192.0.2.200"}
        assert await attacker.code("ada@example.test", PASSWORD, headers=fresh) == "RATE_LIMITED"


def request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


PROXIES = Settings(trusted_proxies=(ip_network("10.0.0.0/8"), ip_network("2001:db8::1")))


def test_the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_address(request("203.0.113.7", ["192.0.2.1"]), PROXIES) == "203.0.113.7"
    assert client_address(request("10.1.2.3", ["192.0.2.1"]), PROXIES) == "192.0.2.1"
    assert client_address(request("10.1.2.3", []), PROXIES) == "10.1.2.3"


def test_behind_proxies_the_right_most_untrusted_forwarded_address_counts() -> None:
    # The client can write anything on the left; each proxy appends the address it saw.
    chain = request("10.0.0.1", ["6.6.6.6, 192.0.2.1", "10.0.0.2"])
    assert client_address(chain, PROXIES) == "192.0.2.1"
    ipv6 = request("2001:db8::1", ["2001:DB8:0:0::7"])
    assert client_address(ipv6, PROXIES) == "2001:db8::7"
    assert client_address(request("10.0.0.1", ["10.0.0.9, 10.0.0.8"]), PROXIES) == "10.0.0.9"


def test_trusted_proxies_are_read_from_the_environment() -> None:
    settings = Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.5"})
    assert settings.trusted_proxies == (ip_network("10.0.0.0/8"), ip_network("192.0.2.5/32"))
