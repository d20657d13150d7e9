from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.evaluator import EVALUATION_JOB, evaluate
from coach_graph.alerts.models import Alert
from coach_graph.alerts.rules import Rule
from coach_graph.alerts.service import update_alert_settings
from coach_graph.alerts.store import ALERTS_CHANNEL
from coach_graph.auth import authenticate
from coach_graph.clients.models import ConsentStatus
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.jobs import JobRunner
from tests.alerts.conftest import History
from tests.conftest import Practice


async def _alerts(db: Database) -> list[Alert]:
    async with db.session() as session:
        return list((await session.scalars(sa.select(Alert).order_by(col(Alert.id)))).all())


async def _viewer(resources: Resources, practice: Practice, user: User):  # type: ignore[no-untyped-def]
    return await authenticate(resources.db, await practice.token(user), resources.activity)


async def test_a_client_inactive_past_the_threshold_raises_one_inactivity_alert(
    practice: Practice, history: History, db: Database
) -> None:
    coach = await practice.coach()
    quiet = await practice.client(coach, name="Quiet")
    recent = await practice.client(coach, name="Recent")
    for c in (quiet, recent):
        await history.linked(coach, c, 60)
        await history.journal(c, 0.5)
    await history.active(quiet, 8)
    await history.active(recent, 6)
    created = await evaluate(db)
    alerts = await _alerts(db)
    assert [(a.client_id, a.category, a.severity) for a in alerts] == [
        (quiet.id, "INACTIVITY", "WARNING")
    ]
    assert alerts[0].message == "Quiet has not been active for 8 days."
    assert created == [(alerts[0].id, coach.id)]


async def test_evaluating_again_raises_nothing_new(
    practice: Practice, history: History, db: Database, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 30)
    assert len(await evaluate(db)) == 2  # never active, never wrote: inactivity and journal
    manual_clock.advance(timedelta(days=3))
    assert await evaluate(db) == []
    assert await evaluate(db) == []
    assert len(await _alerts(db)) == 2


async def test_a_never_active_client_counts_from_the_day_they_were_linked(
    practice: Practice, history: History, db: Database, manual_clock: clock.ManualClock
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, name="New")
    await history.linked(coach, client, 7)
    assert await evaluate(db) == []  # 7 calendar days: not more than the threshold yet
    manual_clock.advance(timedelta(days=1))
    await evaluate(db)
    messages = {a.category: a.message for a in await _alerts(db)}
    assert messages == {
        "INACTIVITY": "New has not used the app since being linked 8 days ago.",
        "JOURNAL": "New has not written a journal entry since being linked 8 days ago.",
    }


async def test_a_new_inactive_spell_after_activity_raises_a_new_alert(
    practice: Practice,
    history: History,
    db: Database,
    resources: Resources,
    manual_clock: clock.ManualClock,
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 30)
    await history.journal(client, 0)
    await history.active(client, 10)
    assert len(await evaluate(db)) == 1
    await _viewer(resources, practice, client)  # the client uses the app: active now
    await resources.activity.flush()  # recorded in the background
    manual_clock.advance(timedelta(days=8))
    await history.journal(client, 0)
    assert len(await evaluate(db)) == 1
    causes = [a.cause for a in await _alerts(db)]
    assert len(set(causes)) == 2 and all(c.startswith("inactive-since:") for c in causes)


async def test_overdue_homework_past_the_threshold_raises_a_homework_alert(
    practice: Practice, history: History, db: Database
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, name="Bo")
    await history.active(client, 0)
    await history.journal(client, 0)
    late = await history.homework(coach, client, expired_days_ago=3, title="Sleep diary")
    # Each client's latest assignment is the one that counts: the others get one each.
    for expired_days_ago, completed in [
        (0.5, False),  # under the 1-day threshold
        (5, True),  # completed
        (None, False),  # no expiry
        (-2, False),  # due later
    ]:
        other = await practice.client(coach)
        await history.active(other, 0)
        await history.journal(other, 0)
        await history.homework(coach, other, expired_days_ago, completed=completed)
    await evaluate(db)
    alerts = await _alerts(db)
    assert [(a.category, a.subject_id, a.cause) for a in alerts] == [
        ("HOMEWORK", late, f"homework:{late}")
    ]
    assert alerts[0].message == "Bo has not completed “Sleep diary”, due 3 days ago."
    assert await evaluate(db) == []


async def test_a_journal_alert_counts_from_the_last_entry(
    practice: Practice, history: History, db: Database
) -> None:
    coach = await practice.coach()
    writer = await practice.client(coach, name="Writer")
    silent = await practice.client(coach, name="Silent")
    for c in (writer, silent):
        await history.linked(coach, c, 90)
        await history.active(c, 0)
    await history.journal(writer, 2)
    await history.journal(silent, 20)
    await history.journal(silent, 9)
    await evaluate(db)
    alerts = await _alerts(db)
    assert [(a.client_id, a.category, a.message) for a in alerts] == [
        (silent.id, "JOURNAL", "Silent has not written a journal entry for 9 days.")
    ]


async def test_disabled_rules_raise_nothing_and_each_coach_has_their_own_rules(
    practice: Practice, history: History, db: Database, resources: Resources
) -> None:
    strict = await practice.coach()
    relaxed = await practice.coach()
    a = await practice.client(strict)
    b = await practice.client(relaxed)
    for coach, client in ((strict, a), (relaxed, b)):
        await history.linked(coach, client, 100)
        await history.active(client, 4)
        await history.homework(coach, client, expired_days_ago=4)
    await update_alert_settings(
        db,
        await _viewer(resources, practice, strict),
        inactivity=Rule(True, 3),
        journal=Rule(False, 7),
    )
    await update_alert_settings(
        db,
        await _viewer(resources, practice, relaxed),
        homework=Rule(False, 1),
        journal=Rule(False, 7),
    )
    await evaluate(db)
    got = sorted((x.coach_id, x.category) for x in await _alerts(db))
    assert got == sorted([(strict.id, "INACTIVITY"), (strict.id, "HOMEWORK")])


async def test_only_granted_clients_raise_alerts(
    practice: Practice, history: History, db: Database
) -> None:
    coach = await practice.coach()
    for consent in (ConsentStatus.PENDING, ConsentStatus.DECLINED):
        client = await practice.client(coach, consent=consent)
        await history.linked(coach, client, 60)
        await history.homework(coach, client, expired_days_ago=10)
    assert await evaluate(db) == []


async def test_the_number_of_statements_does_not_grow_with_the_clients(
    practice: Practice, history: History, db: Database, manual_clock: clock.ManualClock
) -> None:
    async def statements_for(clients: int) -> int:
        coach = await practice.coach()
        for _ in range(clients):
            client = await practice.client(coach)
            await history.linked(coach, client, 60)
            await history.homework(coach, client, expired_days_ago=5)
            await history.journal(client, 30)
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            created = await evaluate(db)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert len(created) == 3 * clients
        return len(seen)

    few = await statements_for(2)
    many = await statements_for(25)
    assert many == few


async def test_the_background_job_runs_in_one_worker_at_a_time_and_publishes(
    practice: Practice, history: History, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 60)
    first, second = JobRunner(resources, [EVALUATION_JOB]), JobRunner(resources, [EVALUATION_JOB])
    async with resources.realtime.subscribe(ALERTS_CHANNEL) as events:
        assert await first.run_once(EVALUATION_JOB) is True
        assert await second.run_once(EVALUATION_JOB) is False  # the lease is held
        event = await anext(events)
    alerts = await _alerts(resources.db)
    assert event == {"coachId": coach.id, "alertIds": sorted(a.id for a in alerts)}
    assert len(alerts) == 2
