"""Fixtures of the sessions tests: a coach with their default services and a granted client,
tokens, and helpers to book sessions through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from coach_graph.accounts.models import User
from coach_graph.db import Database
from tests.conftest import T0, GraphQLClient, Practice

BOOK = """mutation($c: ID!, $s: ID!, $t: DateTime!, $cn: String, $pn: String, $cal: ID) {
  bookSession(clientId: $c, serviceId: $s, startsAt: $t, customerNotes: $cn, privateNotes: $pn,
              calendarId: $cal) {
    id status startsAt endsAt durationMinutes privateNotes customerNotes
  }
}"""
SERVICES = "{ services { id name durationMinutes isFree price { amountMinor currency } } }"


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment `days` after T0's date (a Monday) at hour:minute."""
    midnight = T0.replace(hour=0, minute=0)
    return midnight + timedelta(days=days, hours=hour, minutes=minute)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Scene:
    """A coach (UTC, default setup) with one GRANTED client."""

    gql: GraphQLClient
    practice: Practice
    coach: User
    client: User
    coach_token: str
    client_token: str
    services: dict[int, str]  # duration in minutes -> service id

    async def book(
        self, starts_at: datetime, minutes: int = 60, token: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Book through the API; returns the session."""
        variables = {"c": str(self.client.id), "s": self.services[minutes], "t": iso(starts_at)}
        variables.update(extra)
        data = await self.gql.data(BOOK, variables, token or self.coach_token)
        result: dict[str, Any] = data["bookSession"]
        return result

    async def book_error(
        self, starts_at: datetime, minutes: int = 60, **extra: Any
    ) -> dict[str, Any]:
        variables = {"c": str(self.client.id), "s": self.services[minutes], "t": iso(starts_at)}
        variables.update(extra)
        return await self.gql.error(BOOK, variables, self.coach_token)

    async def as_coach(self, query: str, **variables: Any) -> dict[str, Any]:
        return await self.gql.data(query, variables, self.coach_token)

    async def as_client(self, query: str, **variables: Any) -> dict[str, Any]:
        return await self.gql.data(query, variables, self.client_token)


@pytest.fixture
async def scene(gql: GraphQLClient, practice: Practice, manual_clock: Any) -> Scene:
    coach = await practice.coach("Coach Carter")
    client = await practice.client(coach, "Client Cleo")
    coach_token = await practice.token(coach)
    data = await gql.data(SERVICES, token=coach_token)
    services = {s["durationMinutes"]: s["id"] for s in data["services"]}
    return Scene(gql, practice, coach, client, coach_token, await practice.token(client), services)


async def count_rows(db: Database, table: str) -> int:
    async with db.session() as session:
        return int(await session.scalar(sa.text(f'SELECT count(*) FROM "{table}"')) or 0)
