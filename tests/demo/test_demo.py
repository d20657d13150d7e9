"""The demo practice holds what SPEC.md promises, and fills only an empty database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo import registry as demo
from coach_graph.demo.people import DemoExists
from coach_graph.demo.practice import DemoPractice, DemoSize
from coach_graph.demo.registry import seed_demo
from coach_graph.homework.models import Homework
from coach_graph.journals.models import JournalEntry
from coach_graph.surveys.models import SurveyAnswer, SurveyQuestion, SurveySubmission
from tests.conftest import T0, GraphQLClient, Practice

SMALL = DemoSize(clients=12, entries=6, second_coach_clients=2)
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { viewer { role } } }"


@pytest.fixture
async def seeded(db: Database, settings: Settings, manual_clock: clock.ManualClock) -> DemoPractice:
    return await seed_demo(db, settings, SMALL)


async def _granted(db: Database, practice: DemoPractice) -> list[User]:
    async with db.session() as session:
        rows = await session.scalars(
            sa.select(User)
            .join(CoachClient, col(CoachClient.client_id) == col(User.id))
            .where(
                col(CoachClient.coach_id) == practice.demo_coach_id,
                col(CoachClient.consent) == ConsentStatus.GRANTED,
            )
        )
        return list(rows.all())


async def test_the_fixed_demo_accounts_log_in_with_the_demo_password(
    gql: GraphQLClient, seeded: DemoPractice
) -> None:
    for email, role in [
        ("coach@demo.example", "COACH"),
        ("client1@demo.example", "CLIENT"),
        ("client2@demo.example", "CLIENT"),
    ]:
        data = await gql.data(LOGIN, {"e": email, "p": "demo-password"})
        assert data["login"]["viewer"]["role"] == role


async def test_client1_and_client2_granted_consent_to_the_demo_coach(
    db: Database, seeded: DemoPractice
) -> None:
    emails = {u.email for u in await _granted(db, seeded)}
    assert {"client1@demo.example", "client2@demo.example"} <= emails


async def test_the_demo_has_every_consent_state_and_a_second_coach(
    db: Database, seeded: DemoPractice
) -> None:
    async with db.session() as session:
        states = set((await session.scalars(sa.select(col(CoachClient.consent)).distinct())).all())
        coaches = await session.scalar(
            sa.select(sa.func.count()).select_from(User).where(col(User.role) == Role.COACH)
        )
    assert states == {"GRANTED", "PENDING", "DECLINED"}
    assert coaches == 2
    assert len(seeded.clients_of(seeded.coach_ids[1])) == SMALL.second_coach_clients


async def test_the_demo_holds_granted_clients_inactive_for_weeks_and_never_active(
    db: Database, seeded: DemoPractice
) -> None:
    granted = await _granted(db, seeded)
    activity = [u.last_active_at for u in granted]
    assert any(a is not None and a < T0 - timedelta(days=14) for a in activity)
    assert any(a is not None and a > T0 - timedelta(days=1) for a in activity)
    assert any(a is None for a in activity)


async def test_the_demo_holds_overdue_homework_and_every_kind_of_latest_assignment(
    db: Database, seeded: DemoPractice
) -> None:
    granted = {u.id for u in await _granted(db, seeded)}
    async with db.session() as session:
        homework = [
            h for h in (await session.scalars(sa.select(Homework))).all() if h.client_id in granted
        ]
    pending = [h for h in homework if h.completed_at is None]
    assert any(h.expires_at and h.expires_at < T0 - timedelta(days=1) for h in pending)
    assert any(h.expires_at and T0 < h.expires_at < T0 + timedelta(days=1) for h in pending)
    assert any(h.expires_at is None for h in pending)
    assert any(h.completed_at is not None for h in homework)
    assert granted - {h.client_id for h in homework}, "some client has no homework at all"
    assert all(h.assigned_at < T0 for h in homework)
    assert all(h.completed_at is None or h.completed_at >= h.assigned_at for h in homework)


async def test_journal_entries_span_months_are_analysed_and_include_stale_writers(
    db: Database, seeded: DemoPractice
) -> None:
    async with db.session() as session:
        entries = (await session.scalars(sa.select(JournalEntry))).all()
    # Analysed by the real offline analyser during the seed, not given invented numbers.
    assert entries and all(e.analysis_status == "ANALYSED" for e in entries)
    assert all(e.sentiment and e.summary and e.joy is not None for e in entries)
    assert len({e.sentiment_score for e in entries}) > len(entries) * 0.3, "scores should vary"
    assert all(e.created_at <= T0 and e.content.strip() for e in entries)
    assert min(e.created_at for e in entries) < T0 - timedelta(days=60)
    assert len({e.content for e in entries}) > len(entries) * 0.8, "texts should vary"
    last = {}
    for e in entries:
        last[e.client_id] = max(last.get(e.client_id, e.created_at), e.created_at)
    granted = {u.id for u in await _granted(db, seeded)}
    assert any(at < T0 - timedelta(days=8) for cid, at in last.items() if cid in granted)


async def test_survey_submissions_answer_every_required_question(
    db: Database, seeded: DemoPractice
) -> None:
    async with db.session() as session:
        submissions = (await session.scalars(sa.select(SurveySubmission))).all()
        answered = {
            (a.submission_id, a.question_id)
            for a in (await session.scalars(sa.select(SurveyAnswer))).all()
        }
        questions = (await session.scalars(sa.select(SurveyQuestion))).all()
    assert submissions
    for s in submissions:
        required = [q.id for q in questions if q.survey_id == s.survey_id and q.required]
        assert all((s.id, q) in answered for q in required)


async def test_seeding_refuses_a_database_with_users_and_changes_nothing(
    db: Database, settings: Settings, practice: Practice
) -> None:
    await practice.coach()
    with pytest.raises(DemoExists):
        await seed_demo(db, settings, SMALL)
    async with db.session() as session:
        users = await session.scalar(sa.select(sa.func.count()).select_from(User))
        entries = await session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))
    assert (users, entries) == (1, 0)


async def test_demo_steps_of_other_domains_run_after_the_people_exist(
    db: Database,
    settings: Settings,
    manual_clock: clock.ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[DemoPractice] = []

    async def step(db: Database, settings: Settings, practice: DemoPractice) -> None:
        seen.append(practice)

    monkeypatch.setattr(demo, "DEMO_STEPS", [*demo.DEMO_STEPS, step])
    practice = await seed_demo(db, settings, SMALL)
    assert seen == [practice]
    assert practice.now == T0
    assert len(practice.client_ids) == SMALL.clients + SMALL.second_coach_clients


async def test_the_demo_alert_history_holds_resolved_and_open_alerts(
    db: Database, seeded: DemoPractice
) -> None:
    from coach_graph.alerts.models import Alert

    async with db.session() as session:
        alerts = (
            await session.scalars(
                sa.select(Alert).where(col(Alert.coach_id) == seeded.demo_coach_id)
            )
        ).all()
    resolved = [a for a in alerts if a.resolved_at is not None]
    assert {a.category for a in resolved} == {"INACTIVITY"}
    assert all(a.resolved_at == seeded.now - timedelta(days=1) for a in resolved)
    open_categories = {a.category for a in alerts if a.resolved_at is None}
    assert open_categories == {"INACTIVITY", "HOMEWORK", "JOURNAL"}
