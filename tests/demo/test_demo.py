"""The demo practice holds what SPEC.md promises, and fills only an empty database."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

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
from tests.conftest import EXTERNAL_DB, T0, GraphQLClient, Practice, suite_settings

SMALL = DemoSize(clients=12, entries=6, second_coach_clients=2)
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { viewer { role } } }"


@pytest.fixture(scope="module")
def seeded_template(
    template_db: Path | None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, DemoPractice] | None:
    """SQLite: the SMALL demo seeded once at T0 into a copy of the migrated template, which
    each test that asks for `seeded` copies again. PostgreSQL: None (each test seeds)."""
    if template_db is None:
        return None
    path = tmp_path_factory.mktemp("demo") / "seeded.db"
    shutil.copy(template_db, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def run() -> DemoPractice:
        db = Database(url)
        try:
            with clock.using(clock.ManualClock(T0)):
                return await seed_demo(db, suite_settings(url), SMALL)
        finally:
            await db.dispose()

    return path, asyncio.run(run())


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest,
    template_db: Path | None,
    seeded_template: tuple[Path, DemoPractice] | None,
    tmp_path: Path,
) -> str:
    """A copy of the seeded demo for the tests that ask for `seeded` (SQLite), else of the
    empty migrated template (as in tests/conftest.py)."""
    if template_db is None:
        assert EXTERNAL_DB
        return EXTERNAL_DB
    source = template_db
    if seeded_template is not None and "seeded" in request.fixturenames:
        source = seeded_template[0]
    path = tmp_path / "coach_graph.db"
    shutil.copy(source, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def seeded(
    db: Database,
    settings: Settings,
    manual_clock: clock.ManualClock,
    seeded_template: tuple[Path, DemoPractice] | None,
) -> DemoPractice:
    """The SMALL demo practice in this test's database, seeded at T0."""
    if seeded_template is not None:
        return seeded_template[1]  # the database is a copy of the seeded template
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


async def test_every_demo_coach_has_a_calendar_weekly_hours_and_files_sessions_on_it(
    db: Database, seeded: DemoPractice
) -> None:
    from coach_graph.sessions.models import AvailabilityWindow, Calendar, CoachingSession

    async with db.session() as session:
        for coach_id in seeded.coach_ids:
            calendars = (
                await session.scalars(
                    sa.select(col(Calendar.id)).where(col(Calendar.coach_id) == coach_id)
                )
            ).all()
            hours = (
                await session.scalars(
                    sa.select(AvailabilityWindow).where(
                        col(AvailabilityWindow.coach_id) == coach_id
                    )
                )
            ).all()
            filed = set(
                (
                    await session.scalars(
                        sa.select(col(CoachingSession.calendar_id))
                        .where(col(CoachingSession.coach_id) == coach_id)
                        .distinct()
                    )
                ).all()
            )
            assert len(calendars) == 1, coach_id
            assert sorted(w.weekday for w in hours) == [0, 1, 2, 3, 4], coach_id
            assert filed == set(calendars), coach_id


async def _demo_coach_sessions(db: Database, practice: DemoPractice) -> list[Any]:
    from coach_graph.sessions.models import CoachingSession

    async with db.session() as session:
        rows = await session.scalars(
            sa.select(CoachingSession).where(
                col(CoachingSession.coach_id) == practice.demo_coach_id
            )
        )
        return list(rows.all())


async def test_the_demo_coach_charges_half_the_price_for_a_late_cancellation_and_no_shows(
    gql: GraphQLClient, db: Database, seeded: DemoPractice
) -> None:
    client2 = next(c.id for c in seeded.clients if c.email == "client2@demo.example")
    sessions = await _demo_coach_sessions(db, seeded)
    late = [s for s in sessions if s.late_cancellation]
    assert [(s.client_id, s.status) for s in late] == [(client2, "CANCELLED")]
    assert late[0].fee_minor == (late[0].price_minor + 1) // 2 > 0
    assert seeded.now - timedelta(days=18) <= late[0].starts_at < seeded.now
    no_shows = [s for s in sessions if s.status == "NO_SHOW"]
    assert any(s.client_id == client2 for s in no_shows)
    assert no_shows and all(s.fee_minor == (s.price_minor + 1) // 2 for s in no_shows)
    assert all(s.fee_minor == 0 for s in sessions if s.status != "NO_SHOW" and s not in late)
    # The same through the API: the policy, and the fee on the late cancellation.
    login = await gql.data(
        'mutation { login(email: "coach@demo.example", password: "demo-password") { token } }'
    )
    token = login["login"]["token"]
    data = await gql.data(
        "{ cancellationPolicy { noticeHours lateFeePercent } "
        "sessions(filter: {statuses: [CANCELLED]}, first: 100) "
        "{ edges { node { lateCancellation fee { amountMinor } } } } }",
        token=token,
    )
    assert data["cancellationPolicy"] == {"noticeHours": 24, "lateFeePercent": 50}
    charged = [e["node"] for e in data["sessions"]["edges"] if e["node"]["lateCancellation"]]
    assert charged == [{"lateCancellation": True, "fee": {"amountMinor": late[0].fee_minor}}]


async def test_the_second_coach_has_no_policy_so_their_no_shows_pay_nothing(
    db: Database, seeded: DemoPractice
) -> None:
    from coach_graph.sessions.models import CancellationPolicy, CoachingSession

    async with db.session() as session:
        policies = (await session.scalars(sa.select(col(CancellationPolicy.coach_id)))).all()
        fees = (
            await session.scalars(
                sa.select(col(CoachingSession.fee_minor)).where(
                    col(CoachingSession.coach_id) == seeded.coach_ids[1]
                )
            )
        ).all()
    assert list(policies) == [seeded.demo_coach_id]
    assert fees and set(fees) == {0}


async def test_a_prospect_the_coach_added_has_pending_consent_and_a_coach_booked_intro_call(
    db: Database, seeded: DemoPractice
) -> None:
    from coach_graph.notifications.models import Notification

    async with db.session() as session:
        prospect = await session.scalar(
            sa.select(User).where(col(User.email) == "prospect4@demo.example")
        )
        assert prospect is not None
        consent = await session.scalar(
            sa.select(col(CoachClient.consent)).where(
                col(CoachClient.coach_id) == seeded.demo_coach_id,
                col(CoachClient.client_id) == prospect.id,
            )
        )
        told = (
            await session.scalars(
                sa.select(col(Notification.kind)).where(
                    col(Notification.recipient_id) == prospect.id
                )
            )
        ).all()
    booked = [s for s in await _demo_coach_sessions(db, seeded) if s.client_id == prospect.id]
    assert consent == "PENDING"
    assert [(s.status, s.price_minor, s.self_booked) for s in booked] == [("CONFIRMED", 0, False)]
    assert booked[0].starts_at >= seeded.now + timedelta(days=2)
    assert list(told) == ["SESSION_BOOKED"]
    # Besides the prospects who booked for themselves, also consent PENDING.
    self_booked = [s for s in await _demo_coach_sessions(db, seeded) if s.self_booked]
    assert len(self_booked) == 3


async def test_client1_waits_on_the_demo_coachs_waitlist(
    db: Database, seeded: DemoPractice
) -> None:
    from coach_graph.waitlist.models import WaitlistEntry

    async with db.session() as session:
        client1 = await session.scalar(
            sa.select(User).where(col(User.email) == "client1@demo.example")
        )
        entries = (await session.scalars(sa.select(WaitlistEntry))).all()
    assert client1 is not None
    assert [(e.coach_id, e.client_id, e.ended_at) for e in entries] == [
        (seeded.demo_coach_id, client1.id, None)
    ]
    assert entries[0].starts_at == seeded.now + timedelta(days=1)
    assert entries[0].ends_at - entries[0].starts_at == timedelta(days=7)


async def test_client1_s_audit_trail_shows_the_demo_coach_s_reads(
    gql: GraphQLClient, seeded: DemoPractice
) -> None:
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
    data = await gql.data(login, {"e": "client1@demo.example", "p": "demo-password"})
    trail = await gql.data(
        "{ auditTrail { totalCount edges { node { at actorName actorRole action } } } }",
        token=data["login"]["token"],
    )
    nodes = [e["node"] for e in trail["auditTrail"]["edges"]]
    assert trail["auditTrail"]["totalCount"] == len(nodes) == 10
    assert nodes == sorted(nodes, key=lambda n: n["at"], reverse=True)
    reads = {n["action"] for n in nodes if n["actorRole"] == "COACH"}
    assert reads == {
        "READ_JOURNAL",
        "READ_EMOTIONS",
        "READ_SURVEYS",
        "READ_PRIVATE_NOTES",
        "EXPORT",
    }
    assert {n["actorName"] for n in nodes if n["actorRole"] == "COACH"} == {"Dana Whitfield"}
    assert nodes[-1]["action"] == "CONSENT_CHANGED"
    assert all(n["at"] <= "2026-03-02T10:00:00Z" for n in nodes)


async def test_the_demo_coach_has_a_disabled_webhook_with_a_few_deliveries(
    db: Database, seeded: DemoPractice
) -> None:
    from coach_graph.webhooks.demo import DEMO_URL
    from coach_graph.webhooks.models import WebhookDelivery, WebhookEndpoint

    async with db.session() as session:
        [endpoint] = (
            await session.scalars(
                sa.select(WebhookEndpoint).where(
                    col(WebhookEndpoint.coach_id) == seeded.demo_coach_id
                )
            )
        ).all()
        deliveries = (
            await session.scalars(
                sa.select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
            )
        ).all()
    assert endpoint.url == DEMO_URL and not endpoint.active and endpoint.disabled_reason
    assert sorted(d.status for d in deliveries) == ["DELIVERED"] * 3 + ["FAILED"] * 2
