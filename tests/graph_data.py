"""Builders for the client graph's rows (lessons, homework, surveys, journal entries), written
straight to the real database so tests can set times the API would not accept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.db import Database
from coach_graph.homework.models import Homework, Lesson, Module
from coach_graph.journals.models import JournalEntry
from coach_graph.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveySubmission


def uid(user: User) -> int:
    assert user.id is not None
    return user.id


@dataclass
class Catalogue:
    modules: dict[str, Module]
    lessons: dict[str, Lesson]

    def lesson(self, title: str) -> Lesson:
        return self.lessons[title]


CATALOGUE = {
    "Mindfulness Basics": ["Breathing", "Body Scan", "Mindful Walking"],
    "Sleep": ["Sleep Hygiene", "Evening Routine"],
    "Stress": ["Stress Signals", "Breathing Under Stress", "Reframing"],
}


async def add_catalogue(db: Database, catalogue: dict[str, list[str]] | None = None) -> Catalogue:
    modules: dict[str, Module] = {}
    lessons: dict[str, Lesson] = {}
    async with db.transaction() as session:
        for m_pos, (module_title, lesson_titles) in enumerate((catalogue or CATALOGUE).items()):
            module = Module(title=module_title, position=m_pos)
            session.add(module)
            await session.flush()
            modules[module_title] = module
            for l_pos, title in enumerate(lesson_titles):
                lesson = Lesson(module_id=module.id, title=title, position=l_pos)
                session.add(lesson)
                lessons[title] = lesson
        await session.flush()
    return Catalogue(modules, lessons)


async def add_homework(
    db: Database,
    coach: User,
    client: User,
    lesson: Lesson,
    assigned_at: datetime,
    expires_at: datetime | None = None,
    completed_at: datetime | None = None,
) -> Homework:
    row = Homework(
        coach_id=uid(coach),
        client_id=uid(client),
        lesson_id=lesson.id,
        assigned_at=assigned_at,
        expires_at=expires_at,
        completed_at=completed_at,
    )
    async with db.transaction() as session:
        session.add(row)
    return row


async def add_survey(
    db: Database, name: str, questions: list[tuple[str, bool]]
) -> tuple[Survey, list[SurveyQuestion]]:
    """A survey with questions (text, required), in the given order. Positions are stored in
    reverse insertion order of ids on purpose, so tests see order by position, not by id."""
    async with db.transaction() as session:
        survey = Survey(name=name)
        session.add(survey)
        await session.flush()
        rows = [
            SurveyQuestion(survey_id=survey.id, position=pos, text=text, required=required)
            for pos, (text, required) in reversed(list(enumerate(questions)))
        ]
        session.add_all(rows)
        await session.flush()
    return survey, sorted(rows, key=lambda q: q.position)


async def add_submission(
    db: Database,
    client: User,
    survey: Survey,
    at: datetime,
    answers: dict[int, str] | None = None,
) -> SurveySubmission:
    async with db.transaction() as session:
        row = SurveySubmission(survey_id=survey.id, client_id=uid(client), submitted_at=at)
        session.add(row)
        await session.flush()
        for question_id, text in (answers or {}).items():
            session.add(SurveyAnswer(submission_id=row.id, question_id=question_id, answer=text))
    return row


async def add_journal(
    db: Database, client: User, at: datetime, content: str, summary: str | None = None
) -> JournalEntry:
    row = JournalEntry(
        client_id=uid(client),
        created_at=at,
        content=content,
        summary=summary,
        analysis_status="ANALYSED" if summary else "PENDING",
    )
    async with db.transaction() as session:
        session.add(row)
    return row


async def set_last_active(db: Database, user: User, at: datetime | None) -> None:
    async with db.transaction() as session:
        await session.execute(
            sa.update(User).where(col(User.id) == uid(user)).values(last_active_at=at)
        )


async def count_rows(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
