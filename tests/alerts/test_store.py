from __future__ import annotations

import sqlalchemy as sa

from coach_graph.alerts.models import Alert, AlertCategory, AlertSeverity
from coach_graph.alerts.store import ALERTS_CHANNEL, raise_alert
from coach_graph.context import Resources
from tests.conftest import Practice


async def test_raise_alert_inserts_once_per_cause_and_publishes_after_commit(
    practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    assert coach.id is not None and client.id is not None

    async def raise_for(request_id: int) -> Alert | None:
        async with resources.db.transaction() as session:
            return await raise_alert(
                session,
                coach_id=coach.id,  # type: ignore[arg-type]
                client_id=client.id,
                category=AlertCategory.RESCHEDULE_REQUEST,
                cause=f"reschedule-request:{request_id}",
                title="Reschedule request",
                message="Client 2 asks to move Tuesday's session.",
                severity=AlertSeverity.WARNING,
                subject_id=request_id,
            )

    async with resources.realtime.subscribe(ALERTS_CHANNEL) as events:
        alert = await raise_for(7)
        assert alert is not None and alert.id is not None
        assert await anext(events) == {"coachId": coach.id, "alertIds": [alert.id]}
        assert await raise_for(7) is None  # one alert per request, announced once
    other = await raise_for(8)
    assert other is not None and other.id != alert.id
    async with resources.db.session() as session:
        rows = (await session.scalars(sa.select(Alert).order_by(Alert.id))).all()  # type: ignore[arg-type]
    assert [(r.category, r.subject_id, r.severity) for r in rows] == [
        ("RESCHEDULE_REQUEST", 7, "WARNING"),
        ("RESCHEDULE_REQUEST", 8, "WARNING"),
    ]


async def test_a_refused_transaction_leaves_no_alert(
    practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    assert coach.id is not None
    try:
        async with resources.db.transaction() as session:
            await raise_alert(
                session,
                coach_id=coach.id,
                client_id=None,
                category=AlertCategory.RESCHEDULE_REQUEST,
                cause="reschedule-request:1",
                title="t",
                message="m",
            )
            raise RuntimeError("the request was refused")
    except RuntimeError:
        pass
    async with resources.db.session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 0
