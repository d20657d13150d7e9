"""Apollo persisted queries shared through Redis: a document registered with one worker runs by
its hash on another (two real uvicorn processes, a real redis-server)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from coach_graph.accounts.models import Role
from coach_graph.db import Database
from tests.e2e.conftest import Worker
from tests.e2e.test_workers import Practice

pytestmark = pytest.mark.e2e

DOCUMENT = "query SharedViewer { viewer { id } }"
HASH_ONLY = {
    "operationName": "SharedViewer",
    "variables": {},
    "extensions": {
        "persistedQuery": {
            "version": 1,
            "sha256Hash": hashlib.sha256(DOCUMENT.encode()).hexdigest(),
        }
    },
}


async def test_a_document_registered_with_one_worker_runs_by_hash_on_another(
    workers: list[Worker], shared_db: Database
) -> None:
    practice = Practice(shared_db)
    coach = await practice.user(Role.COACH)
    headers = {"Authorization": f"Bearer {await practice.token(coach)}"}
    a, b = workers
    for worker in workers:
        await worker.ready()
    async with (
        httpx.AsyncClient(base_url=a.base_url, headers=headers) as on_a,
        httpx.AsyncClient(base_url=b.base_url, headers=headers) as on_b,
    ):
        unknown = (await on_b.post("/graphql", json=HASH_ONLY)).json()
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = (await on_a.post("/graphql", json={**HASH_ONLY, "query": DOCUMENT})).json()
        assert registered["data"]["viewer"]["id"] == str(coach.id)
        by_hash = (await on_b.post("/graphql", json=HASH_ONLY)).json()
        assert "errors" not in by_hash, by_hash
        assert by_hash["data"]["viewer"]["id"] == str(coach.id)
