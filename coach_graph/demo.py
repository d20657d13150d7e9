"""The demo practice: a realistic, deterministic coaching practice in an empty database.

`seed_demo(db, settings, size)` creates the people first (the demo coach `coach@demo.example`
with `client1@demo.example`, `client2@demo.example`, ... and a second coach with a few clients,
all with password `demo-password`), then runs every step of `DEMO_STEPS` in order. Everything is
relative to `clock.now()` and drawn from one seeded random generator, so the same size gives the
same practice.

Extension point for other domains: write an async function
`async def step(db: Database, settings: Settings, practice: DemoPractice) -> None` (import
`DemoPractice` under `TYPE_CHECKING` to avoid an import cycle), use `practice.rng` for any
randomness and `practice.now` for time, insert in bulk (`session.execute(insert(table), rows)`),
and append it to `DEMO_STEPS` at the bottom of this module.

Rows go in through Core bulk inserts (executemany) and one argon2 hash, computed once, is shared
by every demo account: `DemoSize(clients=2000, entries=100)` seeds in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Passwords
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.errors import Conflict
from coach_graph.homework.models import Homework, Lesson, Module
from coach_graph.journals.demo import seed_journal_insight
from coach_graph.journals.models import AnalysisStatus, JournalEntry
from coach_graph.sessions.demo import seed_session_history
from coach_graph.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveySubmission

DEMO_PASSWORD = "demo-password"
DEMO_COACH_EMAIL = "coach@demo.example"
SECOND_COACH_EMAIL = "coach2@demo.example"
DEMO_CLIENT_EMAILS = ("client1@demo.example", "client2@demo.example")
SEED = 20260302


@dataclass(frozen=True)
class DemoSize:
    """How big the demo practice is: the demo coach's clients, journal entries per client that
    has ever been active, and the second coach's clients."""

    clients: int = 30
    entries: int = 60
    second_coach_clients: int = 4
    sessions: int = 12  # coaching sessions per client, past and upcoming

    def __post_init__(self) -> None:
        if self.clients < 2:
            raise ValueError("the demo needs at least 2 clients (client1 and client2)")
        if self.entries < 0 or self.second_coach_clients < 0 or self.sessions < 0:
            raise ValueError("demo sizes cannot be negative")


@dataclass(frozen=True)
class DemoClient:
    """One demo client as the steps need them: who, linked to which coach, and how active."""

    id: int
    email: str
    coach_id: int
    consent: ConsentStatus
    linked_at: datetime
    last_active_at: datetime | None
    # When the client stopped writing (None: writes up to their last activity).
    journal_until: datetime | None
    # Index among the coach's clients; profiles cycle through it so every size has each kind.
    index: int


@dataclass
class DemoPractice:
    """What the people step created, handed to every step of DEMO_STEPS."""

    size: DemoSize
    rng: random.Random
    now: datetime
    demo_coach_id: int
    coach_ids: list[int]
    clients: list[DemoClient] = field(default_factory=list)
    # The coach's time zone decides "today" for homework due dates.
    coach_time_zones: dict[int, str] = field(default_factory=dict)

    @property
    def client_ids(self) -> list[int]:
        return [c.id for c in self.clients]

    def clients_of(self, coach_id: int) -> list[DemoClient]:
        return [c for c in self.clients if c.coach_id == coach_id]


DemoStep = Callable[[Database, Settings, DemoPractice], Awaitable[None]]


class DemoExists(Conflict):
    """The database holds users already; the demo fills only an empty one."""


# ---------------------------------------------------------------- people

FIRST_NAMES = (
    "Alex", "Jordan", "Priya", "Mateo", "Hannah", "Kwame", "Sofia", "Liam", "Aiko", "Noah",
    "Fatima", "Lucas", "Maya", "Oliver", "Zara", "Ethan", "Ingrid", "Samuel", "Leila", "Tomás",
    "Chloe", "Ravi", "Grace", "Elias", "Nadia", "Owen", "Yuki", "Isabel", "Daniel", "Amara",
)  # fmt: skip
LAST_NAMES = (
    "Morgan", "Bennett", "Sharma", "García", "Keller", "Mensah", "Rossi", "O'Brien", "Tanaka",
    "Fischer", "Haddad", "Silva", "Patel", "Nguyen", "Kowalski", "Andersen", "Dubois", "Okafor",
    "Lindqvist", "Moreau", "Costa", "Iyer", "Walsh", "Novak", "Ahmed", "Brooks", "Sato",
)  # fmt: skip
TIME_ZONES = (
    "Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Europe/Berlin",
    "Asia/Tokyo", "Australia/Sydney", "America/Toronto", "UTC", "Asia/Kolkata",
)  # fmt: skip

# Activity profiles, cycled by client index so every practice holds each kind: (name, days since
# last activity as a range, or None for never active).
ACTIVITY_PROFILES: tuple[tuple[str, tuple[float, float] | None], ...] = (
    ("today", (0.02, 0.3)),
    ("yesterday", (1.05, 1.6)),
    ("weeks", (21.0, 45.0)),
    ("recent", (2.2, 4.8)),
    ("today", (0.05, 0.4)),
    ("never", None),
    ("lapsing", (8.0, 13.0)),
    ("recent", (2.5, 5.0)),
    ("weeks", (15.0, 30.0)),
    ("today", (0.1, 0.5)),
)


def _consent_for(index: int) -> ConsentStatus:
    """Mostly GRANTED; the first ten clients (client1 to client10) all are, so every activity
    and homework profile is visible to the demo coach; later some are PENDING or DECLINED."""
    if index < 10:
        return ConsentStatus.GRANTED
    if index % 9 == 1:
        return ConsentStatus.PENDING
    if index % 13 == 11:
        return ConsentStatus.DECLINED
    return ConsentStatus.GRANTED


def _name(rng: random.Random, n: int) -> str:
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {rng.choice(LAST_NAMES)}"


async def _insert_returning_ids(
    session: Any, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Bulk insert, returning the new ids in the order of `rows` (SQLite and PostgreSQL)."""
    if not rows:
        return []
    result = await session.execute(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [int(r[0]) for r in result.all()]


async def _seed_people(db: Database, settings: Settings, size: DemoSize) -> DemoPractice:
    """Both coaches and their clients, with links, consent and activity. Refuses (DemoExists)
    when any user exists, inside the same transaction, so nothing changes."""
    rng = random.Random(SEED)
    now = clock.now()
    # One hash for every demo account (argon2 is deliberately slow; the password is public).
    password_hash = await Passwords(settings.password_time_cost, settings.password_memory_kib).hash(
        DEMO_PASSWORD
    )
    users = User.__table__  # type: ignore[attr-defined]
    links = CoachClient.__table__  # type: ignore[attr-defined]
    async with db.transaction() as session:
        if await session.scalar(sa.select(col(User.id)).limit(1)) is not None:
            raise DemoExists(
                "The database already holds users; the demo practice fills only an empty "
                "database. Nothing was changed."
            )
        coach_rows = [
            _user_row(
                Role.COACH,
                DEMO_COACH_EMAIL,
                "Dana Whitfield",
                "Europe/London",
                password_hash,
                now - timedelta(days=400),
            ),
            _user_row(
                Role.COACH,
                SECOND_COACH_EMAIL,
                "Marcus Lindgren",
                "America/New_York",
                password_hash,
                now - timedelta(days=300),
            ),
        ]
        demo_coach_id, second_coach_id = await _insert_returning_ids(session, users, coach_rows)
        practice = DemoPractice(
            size=size,
            rng=rng,
            now=now,
            demo_coach_id=demo_coach_id,
            coach_ids=[demo_coach_id, second_coach_id],
            coach_time_zones={demo_coach_id: "Europe/London", second_coach_id: "America/New_York"},
        )
        plans: list[tuple[int, int, str, dict[str, Any]]] = []  # (coach, index, email, row)
        for index in range(size.clients):
            email = f"client{index + 1}@demo.example"
            plans.append((demo_coach_id, index, email, {}))
        for index in range(size.second_coach_clients):
            email = f"coach2.client{index + 1}@demo.example"
            plans.append((second_coach_id, index, email, {}))

        client_rows: list[dict[str, Any]] = []
        details: list[tuple[int, int, str, datetime, datetime | None, datetime | None]] = []
        for n, (coach_id, index, email, _) in enumerate(plans):
            linked_at = now - timedelta(days=rng.uniform(120, 240))
            _profile, span = ACTIVITY_PROFILES[index % len(ACTIVITY_PROFILES)]
            last_active = None if span is None else now - timedelta(days=rng.uniform(*span))
            # Some active clients stopped journaling a while before their last visit.
            journal_until = last_active
            if last_active is not None and index % 4 == 2:
                journal_until = last_active - timedelta(days=rng.uniform(9, 20))
            client_rows.append(
                _user_row(
                    Role.CLIENT,
                    email,
                    _name(rng, n),
                    rng.choice(TIME_ZONES),
                    password_hash,
                    linked_at - timedelta(days=rng.uniform(0, 3)),
                    avatar_url=None
                    if index % 3 == 2
                    else f"https://avatars.demo.example/{email.split('@')[0]}.png",
                    is_premium=index == 0 or rng.random() < 0.3,
                    last_active_at=last_active,
                )
            )
            details.append((coach_id, index, email, linked_at, last_active, journal_until))
        client_ids = await _insert_returning_ids(session, users, client_rows)

        link_rows: list[dict[str, Any]] = []
        for client_id, (coach_id, index, email, linked_at, last_active, journal_until) in zip(
            client_ids, details, strict=True
        ):
            consent = _consent_for(index)
            decided_at = linked_at + timedelta(days=rng.uniform(0.1, 10))
            link_rows.append(
                {
                    "coach_id": coach_id,
                    "client_id": client_id,
                    "consent": consent.value,
                    "consent_updated_at": linked_at
                    if consent == ConsentStatus.PENDING
                    else decided_at,
                    "linked_at": linked_at,
                }
            )
            practice.clients.append(
                DemoClient(
                    id=client_id,
                    email=email,
                    coach_id=coach_id,
                    consent=consent,
                    linked_at=linked_at,
                    last_active_at=last_active,
                    journal_until=journal_until,
                    index=index,
                )
            )
        # client2 also once contacted the second coach and has not answered yet.
        if size.clients >= 2:
            link_rows.append(
                {
                    "coach_id": second_coach_id,
                    "client_id": client_ids[1],
                    "consent": ConsentStatus.PENDING.value,
                    "consent_updated_at": now - timedelta(days=6),
                    "linked_at": now - timedelta(days=6),
                }
            )
        await session.execute(sa.insert(links), link_rows)
    return practice


def _user_row(
    role: Role,
    email: str,
    name: str,
    time_zone: str,
    password_hash: str,
    created_at: datetime,
    *,
    avatar_url: str | None = None,
    is_premium: bool = False,
    last_active_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "role": role.value,
        "email": email,
        "name": name,
        "password_hash": password_hash,
        "time_zone": time_zone,
        "avatar_url": avatar_url,
        "is_premium": is_premium,
        "created_at": created_at,
        "last_active_at": last_active_at,
    }


# ---------------------------------------------------------------- curriculum and homework

CURRICULUM: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Foundations of Self-Awareness",
        ("Naming your emotions", "The stress bucket", "Your values inventory", "Daily check-ins"),
    ),
    (
        "Sleep and Recovery",
        ("How sleep works", "A wind-down routine", "Caffeine, screens and light", "Rest days"),
    ),
    (
        "Managing Anxiety",
        (
            "Box breathing",
            "Catching anxious thoughts",
            "Worry time",
            "Facing avoided situations step by step",
        ),
    ),
    (
        "Building Healthy Habits",
        ("Tiny habits", "Habit stacking", "Tracking without judgement", "Recovering from a lapse"),
    ),
    (
        "Relationships and Communication",
        ("Active listening", "Asking for what you need", "Repairing after conflict"),
    ),
    (
        "Work, Focus and Boundaries",
        ("Saying no kindly", "Deep work blocks", "Ending the workday", "Talking to your manager"),
    ),
    (
        "Self-Compassion",
        ("The inner critic", "A letter to yourself", "Self-care that restores"),
    ),
    (
        "Movement and Energy",
        ("Finding movement you enjoy", "Walking meetings", "Energy mapping"),
    ),
)


def _end_of_local_day(moment: datetime, time_zone: str, days_ahead: int = 0) -> datetime:
    """The last instant of the local day `days_ahead` after `moment`'s day, as UTC."""
    zone = ZoneInfo(time_zone)
    local_day: date = moment.astimezone(zone).date() + timedelta(days=days_ahead)
    midnight = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone)
    return clock.as_utc(midnight - timedelta(seconds=1))


# The status of each client's most recent assignment, cycled by client index, so the My Clients
# table shows every homework badge.
LATEST_HOMEWORK = (
    "due_tomorrow",
    "completed",
    "overdue",
    "assigned",
    "due_today",
    "none",
    "overdue",
    "no_expiry",
    "completed",
)


async def seed_curriculum_and_homework(
    db: Database, settings: Settings, practice: DemoPractice
) -> None:
    """Modules and lessons of a coaching curriculum, and homework with every status: older
    assignments mostly completed (some overdue), the latest one cycling through the badges."""
    rng, now = practice.rng, practice.now
    modules = Module.__table__  # type: ignore[attr-defined]
    lessons = Lesson.__table__  # type: ignore[attr-defined]
    homework = Homework.__table__  # type: ignore[attr-defined]
    async with db.transaction() as session:
        module_ids = await _insert_returning_ids(
            session, modules, [{"title": t, "position": i} for i, (t, _) in enumerate(CURRICULUM)]
        )
        lesson_rows = [
            {"module_id": module_id, "title": title, "position": i}
            for module_id, (_, titles) in zip(module_ids, CURRICULUM, strict=True)
            for i, title in enumerate(titles)
        ]
        lesson_ids = await _insert_returning_ids(session, lessons, lesson_rows)

        rows: list[dict[str, Any]] = []
        for client in practice.clients:
            tz = practice.coach_time_zones[client.coach_id]
            kind = LATEST_HOMEWORK[client.index % len(LATEST_HOMEWORK)]
            if kind == "none":
                continue
            lessons_for_client = rng.sample(lesson_ids, k=min(len(lesson_ids), 6))
            # Earlier assignments, every few weeks since the link.
            history = rng.randint(1, 4)
            for k in range(history):
                assigned = client.linked_at + timedelta(days=7 + 18 * k + rng.uniform(0, 5))
                expires = assigned + timedelta(days=rng.choice((7, 10, 14)))
                if expires > now - timedelta(days=3):
                    break
                done = _can_complete(client, assigned) and rng.random() < 0.75
                rows.append(
                    _homework_row(
                        client,
                        lessons_for_client[k],
                        assigned,
                        expires,
                        _completion(rng, client, assigned, expires) if done else None,
                    )
                )
            rows.append(_latest_homework(rng, client, lessons_for_client[-1], kind, now, tz))
        await session.execute(sa.insert(homework), rows)


def _can_complete(client: DemoClient, assigned: datetime) -> bool:
    """Only a client active after the assignment can have completed it."""
    return client.last_active_at is not None and client.last_active_at > assigned


def _completion(
    rng: random.Random, client: DemoClient, assigned: datetime, expires: datetime | None
) -> datetime:
    """A completion time after the assignment and no later than the client's last activity."""
    assert client.last_active_at is not None
    latest = min(client.last_active_at, expires or client.last_active_at)
    return assigned + (latest - assigned) * rng.uniform(0.2, 1.0)


def _homework_row(
    client: DemoClient,
    lesson_id: int,
    assigned: datetime,
    expires: datetime | None,
    completed: datetime | None,
) -> dict[str, Any]:
    return {
        "coach_id": client.coach_id,
        "client_id": client.id,
        "lesson_id": lesson_id,
        "assigned_at": assigned,
        "expires_at": expires,
        "completed_at": completed,
    }


def _latest_homework(
    rng: random.Random, client: DemoClient, lesson_id: int, kind: str, now: datetime, tz: str
) -> dict[str, Any]:
    """The most recent assignment, shaped so that its badge is `kind`."""
    if kind == "due_today":
        # Halfway between now and the coach's local midnight: later today, not yet passed.
        expires: datetime | None = now + (_end_of_local_day(now, tz) - now) / 2
    elif kind == "due_tomorrow":
        expires = _end_of_local_day(now, tz, 1) - timedelta(hours=6)
    elif kind == "overdue":
        expires = now - timedelta(days=rng.uniform(3, 12))
    elif kind == "assigned":
        expires = now + timedelta(days=rng.uniform(4, 10))
    elif kind == "no_expiry":
        expires = None
    else:  # completed
        expires = now + timedelta(days=rng.uniform(2, 6))
    assigned = (expires or now) - timedelta(days=rng.uniform(8, 12))
    assigned = min(assigned, now - timedelta(hours=2))
    completed = None
    if kind == "completed" and _can_complete(client, assigned):
        completed = _completion(rng, client, assigned, expires)
    return _homework_row(client, lesson_id, assigned, expires, completed)


# ---------------------------------------------------------------- journal entries

# Sentence templates per theme and mood; {slots} are filled from SLOTS.
JOURNAL_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "sleep": {
        "good": (
            "I slept almost {hours} hours last night and woke up feeling rested.",
            "The wind-down routine is working: phone away at ten, asleep before eleven.",
            "First night in ages without waking at 3am. I felt clear-headed all morning.",
        ),
        "bad": (
            "Barely slept again, maybe {hours} hours, and I was foggy all {daypart}.",
            "My mind kept racing about {worry} when I tried to fall asleep.",
            "Woke up at 4am with my heart pounding and couldn't get back to sleep.",
        ),
        "neutral": (
            "Sleep was okay, about {hours} hours, nothing special.",
            "Went to bed later than planned because I was watching a series.",
        ),
    },
    "work": {
        "good": (
            "The presentation went well and my manager thanked me in front of the team.",
            "I blocked two hours for deep work and actually finished the {project}.",
            "I said no to an extra project today and the world did not end.",
        ),
        "bad": (
            "Work was overwhelming: {count} meetings back to back and no time to think.",
            "I snapped at a colleague about the {project} and felt guilty afterwards.",
            "Another late evening answering e-mails. I feel like I'm always behind.",
        ),
        "neutral": (
            "Quiet day at work, mostly admin and catching up on the {project}.",
            "Had my one-to-one with my manager; we talked about priorities for the quarter.",
        ),
    },
    "family": {
        "good": (
            "Lovely dinner with {person}; we laughed more than we have in weeks.",
            "Called {person} and we finally talked about things properly.",
            "Spent the {daypart} in the park with the kids and felt really present.",
        ),
        "bad": (
            "Another argument with {person} about the same old things.",
            "I feel like I'm letting {person} down because I'm always tired.",
            "Visiting my parents brought up a lot of old tension.",
        ),
        "neutral": (
            "{person} came over for the weekend.",
            "Busy family {daypart}: errands, homework, laundry.",
        ),
    },
    "anxiety": {
        "good": (
            "I noticed the anxiety building before {event} and used box breathing. It helped.",
            "Worry time is strange but it works: I parked my worries until 6pm.",
            "I went to {event} even though I wanted to cancel, and I'm proud of that.",
        ),
        "bad": (
            "Anxious most of the day about {worry}; my chest felt tight.",
            "I cancelled {event} at the last minute because I couldn't face it.",
            "Spiralled about {worry} again and couldn't concentrate on anything.",
        ),
        "neutral": (
            "Some nerves about {event}, but manageable.",
            "Noticed I check my phone a lot when I'm anxious.",
        ),
    },
    "exercise": {
        "good": (
            "Went for a {minutes}-minute run before work and felt energised all day.",
            "Tried a yoga class for the first time and really enjoyed it.",
            "Walked to work instead of taking the bus; small win.",
        ),
        "bad": (
            "Skipped the gym again. I keep making excuses.",
            "My back hurts and I haven't moved much this week.",
        ),
        "neutral": (
            "Short walk at lunch, about {minutes} minutes.",
            "Stretched for a bit in the evening.",
        ),
    },
    "relationships": {
        "good": (
            "{person} surprised me with dinner and we talked for hours.",
            "I used the active listening exercise with {person} and it changed the conversation.",
            "Met an old friend for coffee; I'd forgotten how easy it is to talk to her.",
        ),
        "bad": (
            "I feel disconnected from {person} lately; we just talk about logistics.",
            "Felt lonely tonight. Everyone seems busy.",
            "Had a hurtful exchange with {person} and I keep replaying it.",
        ),
        "neutral": (
            "Texted a few friends to plan something for next month.",
            "Quiet evening with {person}, watching TV.",
        ),
    },
    "self-care": {
        "good": (
            "Took a long bath and read for an hour. I should do this more often.",
            "Cooked a proper meal instead of ordering in, and it felt good to look after myself.",
            "Wrote down three things I'm grateful for: {gratitude}.",
        ),
        "bad": (
            "I've been neglecting myself: junk food, no breaks, too much screen time.",
            "My inner critic was loud today. Nothing I did felt good enough.",
        ),
        "neutral": (
            "Tried the self-compassion letter exercise; not sure how I feel about it yet.",
            "Booked a dentist appointment I've been putting off.",
        ),
    },
}
SLOTS: dict[str, tuple[str, ...]] = {
    "hours": ("five", "six", "seven", "eight", "four"),
    "daypart": ("morning", "afternoon", "evening", "day"),
    "worry": ("money", "the deadline", "my health", "the move", "my performance review"),
    "project": ("quarterly report", "client proposal", "budget review", "website launch"),
    "count": ("four", "five", "six", "seven"),
    "person": ("my partner", "my sister", "my mum", "my dad", "my best friend", "my brother"),
    "event": ("the team lunch", "the party", "the doctor's appointment", "the interview"),
    "minutes": ("20", "30", "45", "15"),
    "gratitude": (
        "sunshine, a good coffee and a kind message",
        "my friends, my health and a quiet evening",
        "a walk, a call with my sister and finishing a book",
    ),
}
OPENINGS = ("", "", "", "Long day. ", "Quick note tonight. ", "Feeling reflective. ", "Okay. ")


def compose_entry(rng: random.Random, mood_bias: float) -> str:
    """A plausible journal entry: two to five sentences over one or two themes. `mood_bias` in
    [-1, 1] tilts the mood towards bad (-1) or good (+1)."""
    themes = rng.sample(sorted(JOURNAL_SENTENCES), k=rng.choice((1, 2, 2)))
    sentences: list[str] = []
    for _ in range(rng.randint(2, 5)):
        theme = JOURNAL_SENTENCES[rng.choice(themes)]
        roll = rng.uniform(-1, 1) + mood_bias
        mood = "good" if roll > 0.35 else "bad" if roll < -0.35 else "neutral"
        template = rng.choice(theme[mood])
        sentence = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
        if sentence not in sentences:
            sentences.append(sentence)
    return rng.choice(OPENINGS) + " ".join(s[0].upper() + s[1:] for s in sentences)


async def seed_journals(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Months of journal entries for every client who was ever active, left PENDING for the
    analyser. Each client has a mood that drifts, so the emotion trends have a shape."""
    rng = practice.rng
    entries = JournalEntry.__table__  # type: ignore[attr-defined]
    batch: list[dict[str, Any]] = []
    async with db.transaction() as session:
        for client in practice.clients:
            if client.journal_until is None or practice.size.entries == 0:
                continue
            end = client.journal_until
            start = max(client.linked_at, end - timedelta(days=rng.uniform(90, 180)))
            count = practice.size.entries
            span = (end - start).total_seconds()
            moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
            moments[-1] = end  # the last entry is written at the client's last journaling visit
            mood = rng.uniform(-0.5, 0.5)
            for moment in moments:
                mood = max(-0.9, min(0.9, mood + rng.uniform(-0.15, 0.15)))
                batch.append(
                    {
                        "client_id": client.id,
                        "created_at": moment,
                        "content": compose_entry(rng, mood),
                        "analysis_status": AnalysisStatus.PENDING.value,
                        "analysis_attempts": 0,
                        "analysis_due_at": moment,
                    }
                )
            if len(batch) >= 20_000:
                await session.execute(sa.insert(entries), batch)
                batch = []
        if batch:
            await session.execute(sa.insert(entries), batch)


# ---------------------------------------------------------------- surveys

SURVEYS: tuple[tuple[str, tuple[tuple[str, bool, tuple[str, ...]], ...]], ...] = (
    (
        "Weekly check-in",
        (
            ("How would you rate your mood this week, from 1 to 10?", True, tuple("3456789")),
            (
                "What went well this week?",
                True,
                (
                    "I kept to my morning walks.",
                    "I had a good talk with my partner.",
                    "I finished a big piece of work without staying late.",
                    "I slept better most nights.",
                ),
            ),
            (
                "What was the hardest moment?",
                False,
                (
                    "Sunday evening dread before the work week.",
                    "An argument with my sister.",
                    "Feeling anxious before a presentation.",
                    "Being too tired to do anything after work.",
                ),
            ),
            (
                "What would you like to focus on in our next session?",
                False,
                ("Boundaries at work.", "Sleep.", "Managing worry.", "Building a routine."),
            ),
        ),
    ),
    (
        "Sleep questionnaire",
        (
            ("On average, how many hours do you sleep?", True, ("5", "6", "7", "8")),
            ("How often do you wake during the night?", True, ("Rarely", "Sometimes", "Often")),
            (
                "What do you do in the hour before bed?",
                False,
                ("Scroll on my phone.", "Read.", "Watch TV.", "Work e-mails, honestly."),
            ),
        ),
    ),
    (
        "Goals at intake",
        (
            (
                "What brings you to coaching?",
                True,
                (
                    "I feel stuck at work and anxious most days.",
                    "I want to build healthier habits.",
                    "My relationships are suffering because of stress.",
                ),
            ),
            (
                "What would be different in three months if coaching works?",
                True,
                (
                    "I'd sleep through the night and feel calmer.",
                    "I'd have a routine that sticks.",
                    "I'd leave work at work.",
                ),
            ),
            ("Anything else I should know?", False, ("No.", "I have two young kids.", "Not yet.")),
        ),
    ),
)


async def seed_surveys(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Three surveys with ordered questions; each active client submitted the intake survey
    after linking, and weekly check-ins (with some optional answers left out) since."""
    rng = practice.rng
    surveys_t = Survey.__table__  # type: ignore[attr-defined]
    questions_t = SurveyQuestion.__table__  # type: ignore[attr-defined]
    submissions_t = SurveySubmission.__table__  # type: ignore[attr-defined]
    answers_t = SurveyAnswer.__table__  # type: ignore[attr-defined]
    async with db.transaction() as session:
        survey_ids = await _insert_returning_ids(
            session,
            surveys_t,
            [
                {"name": name, "created_at": practice.now - timedelta(days=500)}
                for name, _ in SURVEYS
            ],
        )
        question_rows: list[dict[str, Any]] = []
        choices: list[tuple[int, bool, tuple[str, ...]]] = []  # per question row
        for survey_id, (_, questions) in zip(survey_ids, SURVEYS, strict=True):
            for position, (text, required, answers) in enumerate(questions):
                question_rows.append(
                    {
                        "survey_id": survey_id,
                        "position": position,
                        "text": text,
                        "required": required,
                    }
                )
                choices.append((survey_id, required, answers))
        question_ids = await _insert_returning_ids(session, questions_t, question_rows)
        by_survey: dict[int, list[tuple[int, bool, tuple[str, ...]]]] = {}
        for qid, (survey_id, required, answers) in zip(question_ids, choices, strict=True):
            by_survey.setdefault(survey_id, []).append((qid, required, answers))

        weekly, sleep, intake = survey_ids
        submission_rows: list[dict[str, Any]] = []
        for client in practice.clients:
            if client.last_active_at is None:
                continue
            moments = [(intake, client.linked_at + timedelta(hours=rng.uniform(2, 48)))]
            if rng.random() < 0.5:
                moments.append((sleep, client.linked_at + timedelta(days=rng.uniform(5, 30))))
            moment = client.linked_at + timedelta(days=rng.uniform(10, 20))
            while moment < client.last_active_at:
                moments.append((weekly, moment))
                moment += timedelta(days=rng.uniform(10, 21))
            submission_rows.extend(
                {"survey_id": survey_id, "client_id": client.id, "submitted_at": at}
                for survey_id, at in moments
                if at <= client.last_active_at
            )
        submission_ids = await _insert_returning_ids(session, submissions_t, submission_rows)
        answer_rows: list[dict[str, Any]] = []
        for submission_id, row in zip(submission_ids, submission_rows, strict=True):
            for qid, required, answers in by_survey[row["survey_id"]]:
                if not required and rng.random() < 0.3:
                    continue
                answer_rows.append(
                    {
                        "submission_id": submission_id,
                        "question_id": qid,
                        "answer": rng.choice(answers),
                    }
                )
        if answer_rows:
            await session.execute(sa.insert(answers_t), answer_rows)


# ---------------------------------------------------------------- the whole demo

# Run in order after the people exist. Other domains append their own steps here (see the
# module docstring), e.g. sessions and analysed entries with summaries.
DEMO_STEPS: list[DemoStep] = [
    seed_curriculum_and_homework,
    seed_journals,
    seed_journal_insight,
    seed_surveys,
    seed_session_history,
]


async def seed_demo(db: Database, settings: Settings, size: DemoSize | None = None) -> DemoPractice:
    """Fill an empty database with the demo practice; DemoExists (nothing changed) when any
    user exists already."""
    practice = await _seed_people(db, settings, size or DemoSize())
    for step in DEMO_STEPS:
        await step(db, settings, practice)
    return practice


async def demo_accounts(db: Database) -> list[User]:
    """The demo coach and the two documented demo clients, when the demo exists."""
    emails = (DEMO_COACH_EMAIL, *DEMO_CLIENT_EMAILS)
    async with db.session() as session:
        users = (await session.scalars(sa.select(User).where(col(User.email).in_(emails)))).all()
    order = {email: i for i, email in enumerate(emails)}
    return sorted(users, key=lambda u: order[u.email])


async def demo_logins(db: Database, settings: Settings) -> list[tuple[User, str]]:
    """A fresh bearer token for each documented demo account (empty when there is no demo)."""
    from coach_graph.auth import issue_token

    logins: list[tuple[User, str]] = []
    for user in await demo_accounts(db):
        assert user.id is not None
        token, _ = await issue_token(db, user.id, settings.token_ttl)
        logins.append((user, token))
    return logins


def describe_logins(logins: Sequence[tuple[User, str]], graphiql_url: str) -> str:
    """What `seed` and `serve --demo` print: where GraphiQL is and how to log in there."""
    lines = [
        f"GraphiQL: {graphiql_url}",
        f"Demo accounts (password for all: {DEMO_PASSWORD}); paste a header into GraphiQL's "
        "Headers pane:",
    ]
    for user, token in logins:
        lines.append(f"  {user.role.lower():<6} {user.email}  ({user.name})")
        lines.append(f'         {{"Authorization": "Bearer {token}"}}')
    return "\n".join(lines)
