"""How HTTP requests check bearer tokens (coach_graph.auth.Tokens): a burst of requests reads a
token once (concurrent ones share one read); a logout here refuses it at once; a revocation by
another worker within TOKEN_CACHE_SECONDS; an expired token at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import auth, clock
from coach_graph.accounts.models import AuthToken
from coach_graph.auth import hash_token
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database
from tests.conftest import GraphQLClient, Practice, count_statements

VIEWER = "{ viewer { id } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The production default: a token read is trusted for 2 s."""
    return settings.with_(token_cache_seconds=Settings().token_cache_seconds)


async def test_a_burst_of_requests_reads_the_token_once(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    with count_statements(resources.db) as statements:
        for _ in range(5):
            assert (await gql.data(VIEWER, token=token))["viewer"]["id"] == str(coach.id)
    assert len([s for s in statements if "auth_token" in s.lower()]) == 1


async def test_concurrent_requests_with_a_new_token_share_one_read(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    """50 requests at once (a dashboard's sockets opening together) before the token is kept:
    one read, and every request answered as the token's viewer."""
    coach = await practice.coach()
    token = await practice.token(coach)
    with count_statements(resources.db) as statements:
        answers = await asyncio.gather(*(gql.data(VIEWER, token=token) for _ in range(50)))
    assert {a["viewer"]["id"] for a in answers} == {str(coach.id)}
    assert len([s for s in statements if "auth_token" in s.lower()]) == 1


async def test_a_logout_refuses_the_token_at_once_even_after_it_was_read(
    gql: GraphQLClient, practice: Practice
) -> None:
    token = await practice.token(await practice.coach())
    assert (await gql.data(VIEWER, token=token))["viewer"]["id"]
    assert await gql.data("mutation { logout }", token=token) == {"logout": True}
    assert (await gql.error(VIEWER, token=token))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revocation_by_another_worker_takes_effect_within_the_cache_time(
    gql: GraphQLClient,
    practice: Practice,
    resources: Resources,
    manual_clock: clock.ManualClock,
) -> None:
    token = await practice.token(await practice.coach())
    assert (await gql.data(VIEWER, token=token))["viewer"]["id"]
    async with resources.db.transaction() as session:  # what a logout in another process does
        await session.execute(
            sa.update(AuthToken)
            .where(col(AuthToken.token_hash) == hash_token(token))
            .values(revoked_at=clock.now())
        )
    manual_clock.advance(timedelta(seconds=resources.settings.token_cache_seconds))
    assert (await gql.error(VIEWER, token=token))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_token_is_refused_at_once_even_after_it_was_read(
    gql: GraphQLClient, practice: Practice, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    token = await practice.token(await practice.coach())
    assert (await gql.data(VIEWER, token=token))["viewer"]["id"]
    manual_clock.advance(resources.settings.token_ttl)
    assert (await gql.error(VIEWER, token=token))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_request_that_goes_away_mid_read_spoils_no_other_request(
    practice: Practice, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request reads the token, a second waits for that read; the first is cancelled
    (its client went away) mid-read: the second reads again and is answered."""
    coach = await practice.coach()
    token = await practice.token(coach)
    started, gate = asyncio.Event(), asyncio.Event()
    real_look_up = auth._look_up

    async def gated_look_up(db: Database, token_hash: str) -> Any:
        started.set()
        await gate.wait()
        return await real_look_up(db, token_hash)

    monkeypatch.setattr(auth, "_look_up", gated_look_up)
    tokens = auth.Tokens(resources.db, resources.activity, ttl=2)
    first = asyncio.create_task(tokens.viewer(token))
    await started.wait()
    second = asyncio.create_task(tokens.viewer(token))
    await asyncio.sleep(0)  # one turn of the loop: the second now waits for the first's read
    first.cancel()
    gate.set()
    viewer = await second
    assert viewer is not None and viewer.id == coach.id
    with pytest.raises(asyncio.CancelledError):
        await first
