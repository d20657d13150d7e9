from __future__ import annotations

from datetime import timedelta

from coach_graph import clock
from tests.conftest import PASSWORD, GraphQLClient, Practice

LOGIN = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { token expiresAt viewer { id role email name timeZone } }
}"""
VIEWER = "{ viewer { id role email } }"


async def test_login_returns_a_token_that_identifies_the_viewer(
    gql: GraphQLClient, practice: Practice
) -> None:
    coach = await practice.coach(email="Ada@Example.test")
    data = await gql.data(LOGIN, {"e": "ada@example.TEST", "p": PASSWORD})
    token = data["login"]["token"]
    assert data["login"]["viewer"] == {
        "id": str(coach.id),
        "role": "COACH",
        "email": "ada@example.test",
        "name": coach.name,
        "timeZone": "UTC",
    }
    assert (await gql.data(VIEWER, token=token))["viewer"]["id"] == str(coach.id)


async def test_wrong_password_is_unauthenticated(gql: GraphQLClient, practice: Practice) -> None:
    await practice.coach(email="a@example.test")
    error = await gql.error(LOGIN, {"e": "a@example.test", "p": "nope-nope"})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_repeated_failed_logins_are_rate_limited(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    await practice.coach(email="a@example.test")
    for _ in range(5):
        await gql.error(LOGIN, {"e": "a@example.test", "p": "wrong-wrong"})
    error = await gql.error(LOGIN, {"e": "a@example.test", "p": PASSWORD})
    assert error["extensions"]["code"] == "RATE_LIMITED"
    manual_clock.advance(timedelta(minutes=16))
    assert (await gql.data(LOGIN, {"e": "a@example.test", "p": PASSWORD}))["login"]["token"]


async def test_logout_revokes_the_token(gql: GraphQLClient, practice: Practice) -> None:
    token = await practice.token(await practice.coach())
    assert await gql.data("mutation { logout }", token=token) == {"logout": True}
    error = await gql.error(VIEWER, token=token)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_token_is_refused(
    gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock
) -> None:
    token = await practice.token(await practice.coach())
    manual_clock.advance(timedelta(days=8))
    error = await gql.error(VIEWER, token=token)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_without_a_token_is_unauthenticated(gql: GraphQLClient) -> None:
    error = await gql.error(VIEWER)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
