"""Journal fixtures: write entries as a client would, and run the analysis worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.context import Resources
from coach_graph.journals.analysis import analyse_due_entries
from coach_graph.journals.insight.offline import OfflineAnalyser
from tests.conftest import GraphQLClient

CREATE = """mutation($c: String!) {
  createJournalEntry(content: $c) { id createdAt content analysisStatus analysis { sentiment } }
}"""


class Journals:
    """Writes entries through the API and analyses them with the real worker."""

    def __init__(self, gql: GraphQLClient, resources: Resources) -> None:
        self.gql = gql
        self.resources = resources

    async def write(self, token: str, content: str, at: datetime | None = None) -> dict[str, Any]:
        """Write an entry as the token's client (at `at` when given: the clock moves there)."""
        if at is not None:
            current = clock.now()
            manual = clock.ManualClock(at)
            with clock.using(manual):
                data = await self.gql.data(CREATE, {"c": content}, token)
            assert current == clock.now()
        else:
            data = await self.gql.data(CREATE, {"c": content}, token)
        entry: dict[str, Any] = data["createJournalEntry"]
        return entry

    async def analyse(self) -> list[int]:
        """Run the worker until the queue is empty; the ids it analysed."""
        done: list[int] = []
        for _ in range(20):
            batch = await analyse_due_entries(self.resources.db, OfflineAnalyser())
            if not batch:
                return done
            done += batch
        return done


@pytest.fixture
def journals(gql: GraphQLClient, resources: Resources) -> Journals:
    return Journals(gql, resources)


async def coach_and_client(practice: Any) -> tuple[User, str, User, str]:
    """A coach and a GRANTED client, with their tokens."""
    coach = await practice.coach()
    client = await practice.client(coach)
    return coach, await practice.token(coach), client, await practice.token(client)
