"""One definition per rule, proven over random practices: for random activity histories, time
zones and thresholds, the attention cards count equals the `needsAttention` stat, and every
client with an OPEN INACTIVITY alert after the evaluator runs is on a card (SPEC "Alerts and
notifications"). A seeded generator keeps every run the same; a failure names its case."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.alerts.evaluator import evaluate
from coach_graph.alerts.models import Alert, AlertCategory
from coach_graph.alerts.rules import Rule
from coach_graph.alerts.service import notification_stats, update_alert_settings
from coach_graph.auth import Viewer
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.clients.service import needs_attention
from coach_graph.db import Database
from coach_graph.demo.practice import insert_returning_ids
from tests.conftest import Practice

SEED = 20261130
PRACTICES = 100
ROUNDS = 3  # each practice: new thresholds, new activity, time moves on, evaluate, compare
# Zones far east and west, with half and quarter hours, and DST changes in March and April.
ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
]
CONSENTS = [ConsentStatus.GRANTED] * 4 + [ConsentStatus.PENDING, ConsentStatus.DECLINED]


def _viewer(coach: User) -> Viewer:
    assert coach.id is not None
    return Viewer(
        id=coach.id,
        role=Role.COACH,
        email=coach.email,
        name=coach.name,
        time_zone=coach.time_zone,
        token_id=0,
        token_expires_at=clock.now() + timedelta(days=3650),
    )


def _days_ago(rng: random.Random, now: datetime, most: float) -> datetime:
    # Around midnight boundaries too: whole days plus a random part of a day.
    return now - timedelta(days=rng.randint(0, int(most)), hours=rng.uniform(0, 24))


async def _clients(db: Database, coach_id: int, case: int, rng: random.Random) -> list[int]:
    now = clock.now()
    rows = [
        {
            "role": Role.CLIENT.value,
            "email": f"p{case}-{i}@property.test",
            "name": f"Client {case}-{i}",
            "password_hash": "-",
            "time_zone": "UTC",
            "is_premium": False,
            "created_at": now - timedelta(days=90),
            "last_active_at": None if rng.random() < 0.3 else _days_ago(rng, now, 40),
        }
        for i in range(rng.randint(1, 8))
    ]
    async with db.transaction() as session:
        ids = await insert_returning_ids(session, User.__table__, rows)  # type: ignore[attr-defined]
        links = [
            {
                "coach_id": coach_id,
                "client_id": client_id,
                "consent": rng.choice(CONSENTS).value,
                "consent_updated_at": now,
                "linked_at": _days_ago(rng, now, 40),
            }
            for client_id in ids
        ]
        await session.execute(sa.insert(CoachClient.__table__), links)  # type: ignore[attr-defined]
    return ids


async def _new_activity(db: Database, client_ids: list[int], rng: random.Random) -> None:
    """Some clients come back (a while ago or just now), some go quiet for good."""
    now = clock.now()
    async with db.transaction() as session:
        for client_id in client_ids:
            if rng.random() < 0.3:
                at = None if rng.random() < 0.1 else _days_ago(rng, now, 15)
                await session.execute(
                    sa.update(User).where(col(User.id) == client_id).values(last_active_at=at)
                )


async def _open_inactivity(db: Database, coach_id: int) -> set[int]:
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(col(Alert.client_id)).where(
                col(Alert.coach_id) == coach_id,
                col(Alert.category) == AlertCategory.INACTIVITY.value,
                col(Alert.resolved_at).is_(None),
                col(Alert.dismissed_at).is_(None),
            )
        )
        return {client_id for client_id in rows if client_id is not None}


async def test_cards_equal_the_stat_and_open_inactivity_alerts_are_on_cards(
    practice: Practice, db: Database, manual_clock: clock.ManualClock
) -> None:
    rng = random.Random(SEED)
    checked = with_cards = with_alerts = 0
    for case in range(PRACTICES):
        coach = await practice.coach(time_zone=rng.choice(ZONES))
        assert coach.id is not None
        viewer = _viewer(coach)
        client_ids = await _clients(db, coach.id, case, rng)
        for round_ in range(ROUNDS):
            rule = Rule(enabled=rng.random() < 0.85, days=rng.choice([1, 2, 3, 5, 7, 10, 30]))
            await update_alert_settings(db, viewer, inactivity=rule)
            await _new_activity(db, client_ids, rng)
            manual_clock.advance(timedelta(hours=rng.uniform(0, 60)))
            await evaluate(db, coach_id=coach.id)

            cards = await needs_attention(db, viewer)
            stats = await notification_stats(db, viewer)
            alerted = await _open_inactivity(db, coach.id)
            on_cards = {item.view.id for item in cards}
            where = f"case {case} round {round_} ({coach.time_zone}, {rule}, {clock.now()})"
            assert len(cards) == stats.needs_attention, where
            assert alerted <= on_cards, f"{where}: alerted {alerted}, cards {on_cards}"
            checked += 1
            with_cards += bool(cards)
            with_alerts += bool(alerted)
    # The cases are not vacuous: many rounds have cards, and many have open alerts.
    print(f"{checked} rounds, {with_cards} with cards, {with_alerts} with open alerts")
    assert checked == PRACTICES * ROUNDS
    assert with_cards > checked // 4 and with_alerts > checked // 4
