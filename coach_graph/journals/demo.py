"""Demo data for journals: months of entries with plausible text, inserted PENDING; then the
real analyser analyses them (no invented numbers) and past weeks are consolidated into
summaries, leaving the current week for the coach's Generate Summary button."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice
from coach_graph.journals.analysis import analyse_due_entries
from coach_graph.journals.insight.provider import analyser_for
from coach_graph.journals.models import AnalysisStatus, JournalEntry
from coach_graph.journals.reads import uncovered_condition
from coach_graph.journals.service import MIN_SUMMARY_ENTRIES, consolidate

MAX_SWEEPS = 10_000
DEMO_BATCH = 500

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


async def analyse_demo_entries(db: Database, settings: Settings) -> None:
    """Analyse every due entry now, with the configured analyser (offline by default)."""
    analyser = analyser_for(settings)
    for _ in range(MAX_SWEEPS):
        if not await analyse_due_entries(db, analyser, limit=DEMO_BATCH):
            return


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def create_demo_summaries(db: Database, settings: Settings) -> int:
    """One summary per client and past week (Monday to Sunday, UTC) holding at least three
    analysed entries no summary covers. Returns how many summaries were written."""
    analyser = analyser_for(settings)
    this_week = _week(clock.now().date())
    async with db.read() as session:
        rows = (
            await session.scalars(
                sa.select(JournalEntry)
                .where(uncovered_condition())
                .order_by(
                    col(JournalEntry.client_id), col(JournalEntry.created_at), col(JournalEntry.id)
                )
            )
        ).all()
    weeks: dict[tuple[int, date], list[JournalEntry]] = defaultdict(list)
    for entry in rows:
        week = _week(entry.created_at.date())
        if week < this_week:
            weeks[(entry.client_id, week)].append(entry)
    written = 0
    for (client_id, _), entries in sorted(weeks.items(), key=lambda kv: kv[0]):
        if len(entries) >= MIN_SUMMARY_ENTRIES:
            await consolidate(db, analyser, client_id, entries)
            written += 1
    return written


async def seed_journal_insight(db: Database, settings: Settings, practice: DemoPractice) -> None:
    """Demo step: analyse the seeded entries for real, then summarise the past weeks."""
    await analyse_demo_entries(db, settings)
    await create_demo_summaries(db, settings)
