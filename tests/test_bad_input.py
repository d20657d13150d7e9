"""Ids, cursors, search text and characters outside what the API hands out or accepts: each
answer is NOT_FOUND or BAD_USER_INPUT, never INTERNAL (one test per class the fuzz test found)."""

from __future__ import annotations

import pytest

from coach_graph.context import Resources
from tests.conftest import GraphQLClient, Practice

CLIENT = "query($id: ID!) { client(id: $id) { id } }"
CLIENTS = "query($s: String, $a: String) { clients(search: $s, after: $a) { totalCount } }"
ALERTS = "query($a: String) { alerts(after: $a) { totalCount } }"
FULL_WIDTH_3 = "\uff13"


@pytest.mark.parametrize(
    "ident", [" 3", FULL_WIDTH_3, "3_0", "+3", "03", "3 ", "-3", "0", "9" * 20]
)
async def test_an_id_resolves_only_in_the_form_the_api_hands_out(
    gql: GraphQLClient, practice: Practice, ident: str
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token = await practice.token(coach)
    assert (await gql.data(CLIENT, {"id": str(client.id)}, token))["client"]["id"] == str(client.id)
    error = await gql.error(CLIENT, {"id": ident.replace("3", str(client.id))}, token)
    assert error["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "key",
    [
        ("Ann", "x"),
        ("Ann", 2**70),
        (5, 1),
        ({"t": "2026-03-02T10:00:00"}, 1),
        ({"t": 5}, 1),
        None,
    ],
)
async def test_a_well_signed_cursor_that_does_not_fit_the_list_is_bad_user_input(
    gql: GraphQLClient, practice: Practice, resources: Resources, key: tuple[object, ...] | None
) -> None:
    """Signed with the app's own key (as if the key had leaked), so the list's checks of the
    values are what refuses them; and a cursor that is not base64 at all."""
    after = "not base64 !" if key is None else resources.db.cursors.encode(*key)
    token = await practice.token(await practice.coach())
    for query in (CLIENTS, ALERTS):
        error = await gql.error(query, {"a": after}, token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", query


async def test_a_50000_character_search_is_bad_user_input_naming_search_and_200(
    gql: GraphQLClient, practice: Practice
) -> None:
    token = await practice.token(await practice.coach())
    for query, variables in [
        (CLIENTS, {"s": "x" * 50_000}),
        ("query($s: String) { lessons(search: $s) { id } }", {"s": "x" * 201}),
        ("query($s: String) { consents(search: $s) { status } }", {"s": "x\x00"}),
    ]:
        error = await gql.error(query, variables, token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "`search`" in error["message"]
    error = await gql.error(CLIENTS, {"s": "x" * 201}, token)
    assert error["extensions"]["limit"] == 200
    assert (await gql.data(CLIENTS, {"s": "x" * 200}, token))["clients"]["totalCount"] == 0


async def test_a_lone_surrogate_anywhere_is_bad_user_input(
    gql: GraphQLClient, practice: Practice
) -> None:
    token = await practice.token(await practice.coach())
    body = '{"query": "mutation($n: String!) { createCalendar(name: $n) { id } }", '
    body += '"variables": {"n": "cal\\ud800"}}'
    for headers in ({"Authorization": f"Bearer {token}"}, {}):
        response = await gql.http.post(
            "/graphql", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    login = '{"query": "mutation($e: String!) { login(email: $e, password: $e) { token } }", '
    login += '"variables": {"e": "\\ud800@example.test"}}'
    response = await gql.http.post(
        "/graphql", content=login, headers={"Content-Type": "application/json"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
