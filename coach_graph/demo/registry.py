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


def step_at(path: str) -> DemoStep:
    """The step `module:function`, imported when it first runs."""
    module_name, _, name = path.partition(":")

    async def step(db: Database, settings: Settings, practice: DemoPractice) -> None:
        seed: DemoStep = getattr(importlib.import_module(module_name), name)
        await seed(db, settings, practice)

    step.__qualname__ = step.__name__ = name
    return step


DEMO_STEPS: list[DemoStep] = [
    step_at("coach_graph.homework.demo:seed_curriculum_and_homework"),
    step_at("coach_graph.journals.demo:seed_journals"),
    step_at("coach_graph.journals.demo:seed_journal_insight"),
    step_at("coach_graph.surveys.demo:seed_surveys"),
    step_at("coach_graph.sessions.demo:seed_session_history"),
]


async def seed_demo(db: Database, settings: Settings, size: DemoSize | None = None) -> DemoPractice:
    """Fill an empty database with the demo practice; DemoExists (nothing changed) when any
    user exists already."""
    practice = await seed_people(db, settings, size or DemoSize())
    for step in DEMO_STEPS:
        await step(db, settings, practice)
    return practice
