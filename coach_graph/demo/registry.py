"""The demo's seeding steps, in order, and `seed_demo`, which runs them after the people.

Each domain seeds its own part in its own `demo.py`; this registry names those steps once, by
dotted path, and imports a step's module only when the demo runs. So the registry depends on no
domain at import time and no domain depends on it: a domain's `demo.py` imports only
`coach_graph.demo.practice` (what a step receives).

The order is part of the data: every step draws from the same seeded random generator, so the
same size gives the same practice only if the steps run in the same order. Add a step at the end
unless it must come earlier, and say why.
"""

from __future__ import annotations

import importlib

from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.people import seed_people
from coach_graph.demo.practice import DemoPractice, DemoSize, DemoStep

# Every domain's seeding step, in the order they run, as `module:function`.
DEMO_STEP_PATHS = (
    "coach_graph.homework.demo:seed_curriculum_and_homework",
    "coach_graph.journals.demo:seed_journals",
    "coach_graph.journals.demo:seed_journal_insight",
    "coach_graph.surveys.demo:seed_surveys",
    # Before the history: its no-shows pay the demo coach's late fee.
    "coach_graph.sessions.demo_policy:seed_cancellation_policy",
    "coach_graph.sessions.demo:seed_session_history",
    "coach_graph.sessions.demo_prospects:seed_prospects",
    "coach_graph.sessions.demo_prospects:seed_coach_booked_prospect",
    "coach_graph.sessions.demo_policy:seed_late_fees",
    # After the replayed late fees (booked with no buffer then): the buffer, series, holiday.
    "coach_graph.sessions.demo_scheduling:seed_scheduling",
    "coach_graph.waitlist.demo:seed_waitlist",
    # Draws nothing from the generator: its place changes no other step's data.
    "coach_graph.audit.demo:seed_audit_trail",
    # Last: the evaluator reads everything the others wrote.
    "coach_graph.alerts.demo:seed_alert_history",
    "coach_graph.webhooks.demo:seed_webhook",
)


def resolve_step(path: str) -> DemoStep:
    """The function a `module:function` path names (importing its module)."""
    module_name, _, name = path.partition(":")
    step: DemoStep = getattr(importlib.import_module(module_name), name)
    return step


def step_at(path: str) -> DemoStep:
    """The step `module:function`, its module imported when the step first runs."""

    async def step(db: Database, settings: Settings, practice: DemoPractice) -> None:
        await resolve_step(path)(db, settings, practice)

    step.__qualname__ = step.__name__ = path.partition(":")[2]
    return step


DEMO_STEPS: list[DemoStep] = [step_at(path) for path in DEMO_STEP_PATHS]


async def seed_demo(db: Database, settings: Settings, size: DemoSize | None = None) -> DemoPractice:
    """Fill an empty database with the demo practice; DemoExists (nothing changed) when any
    user exists already."""
    practice = await seed_people(db, settings, size or DemoSize())
    for step in DEMO_STEPS:
        await step(db, settings, practice)
    return practice
