"""One function finds the viewer of every request: GraphQL over HTTP, a websocket's
connection_init and the export downloads all ask `viewer_from_bearer`."""

from __future__ import annotations

import inspect

import pytest

from coach_graph import graphql_app
from coach_graph.accounts.service import logout
from coach_graph.context import Resources, viewer_from_bearer
from coach_graph.sessions.exports import routes
from tests.conftest import Practice


async def test_a_valid_bearer_names_its_user(resources: Resources, practice: Practice) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    viewer = await viewer_from_bearer(resources, f"Bearer {token}")
    assert viewer is not None and viewer.id == coach.id


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", 42, {"token": "x"}],
)
async def test_a_missing_malformed_or_unknown_bearer_names_nobody(
    resources: Resources, authorization: object
) -> None:
    assert await viewer_from_bearer(resources, authorization) is None


async def test_a_revoked_token_names_nobody(resources: Resources, practice: Practice) -> None:
    client = await practice.client(await practice.coach())
    token = await practice.token(client)
    viewer = await viewer_from_bearer(resources, f"Bearer {token}")
    assert await logout(resources.db, resources.tokens, viewer)
    assert await viewer_from_bearer(resources, f"Bearer {token}") is None


def test_http_websocket_and_exports_all_authenticate_through_it() -> None:
    for module in (graphql_app, routes):
        source = inspect.getsource(module)
        assert "viewer_from_bearer(" in source
        assert "parse_bearer(" not in source and "authenticate(" not in source
