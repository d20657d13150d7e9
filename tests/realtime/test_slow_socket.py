"""A websocket whose subscription falls behind is closed with a clear code, not left to grow."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from coach_graph.alerts.store import ALERTS_CHANNEL
from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.realtime import SLOW_SUBSCRIBER_CLOSE_CODE
from tests.conftest import Practice
from tests.ws import app_socket, until


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        password_time_cost=1,
        password_memory_kib=1024,
        run_jobs=False,
        subscriber_queue_size=2,
    )


async def test_a_subscriber_that_falls_behind_is_closed_with_4413(
    app: Starlette, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    async with app_socket(app) as ws:
        await ws.init(await practice.token(coach))
        await ws.subscribe("1", "subscription { alertCreated { id } }")
        await until(lambda: resources.realtime.subscriber_count(ALERTS_CHANNEL) == 1)
        # Published back to back, the coach's events are queued faster than the feed takes
        # them (each one reads the database).
        for n in range(10):
            await resources.realtime.publish(
                ALERTS_CHANNEL, {"coachId": coach.id, "alertIds": [-n]}
            )
        assert await ws.closed_with() == SLOW_SUBSCRIBER_CLOSE_CODE
    await until(lambda: resources.realtime.subscriber_count(ALERTS_CHANNEL) == 0)
