"""Demo data for surveys: three surveys with ordered questions, and each active client's
submissions (the intake survey after linking, weekly check-ins since)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.practice import DemoPractice, insert_returning_ids
from coach_graph.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveySubmission

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
        survey_ids = await insert_returning_ids(
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
        question_ids = await insert_returning_ids(session, questions_t, question_rows)
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
        submission_ids = await insert_returning_ids(session, submissions_t, submission_rows)
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
