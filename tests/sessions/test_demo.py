from __future__ import annotations

import itertools
import random

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.sessions.demo import seed_sessions
from coach_graph.sessions.models import CoachingSession, RescheduleRequest
from tests.conftest import Practice


async def test_demo_sessions_cover_every_status_notes_ratings_and_a_pending_request(
    practice: Practice, resources: Resources, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    clients = [await practice.client(coach) for _ in range(3)]
    ids = [c.id or 0 for c in clients]
    await seed_sessions(
        resources.db, resources.settings, coach.id or 0, ids, random.Random(7), per_client=20
    )
    async with resources.db.session() as session:
        rows = list((await session.scalars(sa.select(CoachingSession))).all())
        requests = list((await session.scalars(sa.select(RescheduleRequest))).all())
    now = clock.now()
    assert len(rows) == 60
    assert {r.status for r in rows} == {"PENDING", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"}
    assert any(r.private_notes for r in rows) and any(r.rating for r in rows)
    assert any(r.starts_at > now for r in rows)
    assert min(r.starts_at for r in rows) < now - clock.days(90)  # months of history
    live = sorted((r.starts_at, r.ends_at) for r in rows if r.status != "CANCELLED")
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(live))  # no overlaps
    assert [r.status for r in requests] == ["PENDING"]
    assert requests[0].client_id == ids[0]


async def test_demo_prospects_booked_their_intro_call_one_confirmed_the_others_pending(
    resources: Resources, manual_clock: clock.ManualClock
) -> None:
    from coach_graph.clients.models import CoachClient
    from coach_graph.demo.practice import DemoSize
    from coach_graph.demo.registry import seed_demo

    size = DemoSize(clients=2, entries=0, second_coach_clients=0, sessions=4)
    practice = await seed_demo(resources.db, resources.settings, size)
    async with resources.db.session() as session:
        booked = list(
            (
                await session.scalars(
                    sa.select(CoachingSession)
                    .where(col(CoachingSession.self_booked))
                    .order_by(col(CoachingSession.starts_at))
                )
            ).all()
        )
        consents = {
            link.client_id: link.consent
            for link in (await session.scalars(sa.select(CoachClient))).all()
        }
    assert [s.status for s in booked] == ["CONFIRMED", "PENDING", "PENDING"]
    assert all(s.coach_id == practice.demo_coach_id and s.price_minor == 0 for s in booked)
    assert all(s.starts_at >= clock.now() + clock.days(2) for s in booked)
    assert all(consents[s.client_id or 0] == "PENDING" for s in booked)
