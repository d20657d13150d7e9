"""An operation leaves nothing for the cyclic garbage collector: when its answer is sent, its
context (the loaders, their rows, the infos) is freed by reference counting. A cycle through
the context kept ~650 objects of each history page alive until a collection walked them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from coach_graph.context import Context
from tests.conftest import T0, GraphQLClient, Practice

HISTORY = """query($id: ID!) { client(id: $id) { sessions(first: 10) { totalCount
  edges { cursor node { id startsAt notesPreview privateNotes service { name } } } } } }"""
MY_CLIENTS = """{ clients(first: 10) { totalCount edges { cursor node { id name } } } }"""
NOTES = """mutation($id: ID!) { updateSessionNotes(id: $id, privateNotes: "Tired.") { id } }"""


@contextmanager
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def contexts_alive() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Context))


async def test_a_query_or_mutation_leaves_its_context_to_reference_counting(
    gql: GraphQLClient, practice: Practice
) -> None:
    from tests.sessions.conftest import BOOK, SERVICES

    coach = await practice.coach()
    cleo = await practice.client(coach)
    token = await practice.token(coach)
    services = (await gql.data(SERVICES, token=token))["services"]
    starts = (T0 + timedelta(days=1)).replace(hour=11).isoformat().replace("+00:00", "Z")
    book = {"c": str(cleo.id), "s": services[0]["id"], "t": starts}
    session = (await gql.data(BOOK, book, token))["bookSession"]["id"]
    with collector_off():
        before = contexts_alive()
        for _ in range(3):
            await gql.data(NOTES, {"id": session}, token)
            page = await gql.data(HISTORY, {"id": str(cleo.id)}, token)
            assert page["client"]["sessions"]["edges"][0]["node"]["privateNotes"] == "Tired."
            await gql.data(MY_CLIENTS, token=token)
        assert contexts_alive() == before
