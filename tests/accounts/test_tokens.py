"""How HTTP requests check bearer tokens (coach_graph.auth.Tokens): a burst of requests reads a
token once (concurrent ones share one read); a logout here refuses it at once; a revocation by
another worker within TOKEN_CACHE_SECONDS; an expired token at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import AuthToken
from coach_graph.auth import hash_token
from coach_graph.config import Settings
from coach_graph.context import Resources
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
