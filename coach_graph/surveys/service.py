"""Survey rules: the list of surveys, submitting answers, and the batch reads behind a client's
Surveys tab.

A submission answers questions of its own survey only, each at most once, and every required
question with a non-blank answer; anything else is refused before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock
from coach_graph.auth import Viewer, require_client, require_viewer
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, NotFound
from coach_graph.loaders import by_key
from coach_graph.prepared import entities, rows, table
from coach_graph.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveySubmission
from coach_graph.text import NOTES, checked_text

# A key of a per-client read: the viewing coach (None: the client themself) and the client.
# Submissions belong to the client, not to a coach: every coach with consent sees them all.
ClientKey = tuple[int | None, int]


@dataclass(frozen=True, slots=True)
class AnswerItem:
    """One question of a submitted survey, in the survey's order, with the client's answer
    ("" for an optional question left out)."""

    question_id: int
    question: str
    answer: str


async def list_surveys(db: Database, viewer: Viewer | None) -> list[Survey]:
    """Every survey, by name, case- and accent-insensitively (its folded sort key), then id
    (coaches and clients alike may read them)."""
    require_viewer(viewer)
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(Survey).order_by(col(Survey.sort_key), col(Survey.id))
        )
        return list(rows)


_surveys, _questions = table(Survey), table(SurveyQuestion)
_submissions, _answers = table(SurveySubmission), table(SurveyAnswer)
_SURVEYS = entities(
    Survey, sa.select(*_surveys.c).where(_surveys.c.id.in_(sa.bindparam("ids", expanding=True)))
)
_QUESTIONS = entities(
    SurveyQuestion,
    sa.select(*_questions.c)
    .where(_questions.c.survey_id.in_(sa.bindparam("survey_ids", expanding=True)))
    .order_by(_questions.c.position, _questions.c.id),
)
_SUBMISSIONS = entities(
    SurveySubmission,
    sa.select(*_submissions.c)
    .where(_submissions.c.client_id.in_(sa.bindparam("client_ids", expanding=True)))
    .order_by(_submissions.c.submitted_at.desc(), _submissions.c.id.desc()),
)
# Every question of each submission's survey, in order, with the answer given (if any).
_ANSWERS = rows(
    sa.select(_submissions.c.id, _questions.c.id, _questions.c.text, _answers.c.answer)
    .join(_questions, _questions.c.survey_id == _submissions.c.survey_id)
    .outerjoin(
        _answers,
        sa.and_(
            _answers.c.submission_id == _submissions.c.id,
            _answers.c.question_id == _questions.c.id,
        ),
    )
    .where(_submissions.c.id.in_(sa.bindparam("submission_ids", expanding=True)))
    .order_by(_questions.c.position, _questions.c.id)
)


async def surveys_by_id(db: Database, ids: list[int]) -> list[Survey | None]:
    """Batch: surveys by id."""
    found = {s.id: s for s in await _SURVEYS.all(db, ids=ids)}
    return [found.get(i) for i in ids]


async def survey_questions(db: Database, survey_ids: list[int]) -> list[list[SurveyQuestion]]:
    """Batch: each survey's questions in order."""
    found: dict[int, list[SurveyQuestion]] = defaultdict(list)
    for question in await _QUESTIONS.all(db, survey_ids=survey_ids):
        found[question.survey_id].append(question)
    return [found.get(i, []) for i in survey_ids]


async def client_submissions(db: Database, keys: list[ClientKey]) -> list[list[SurveySubmission]]:
    """Batch: each client's submissions, newest first."""
    client_ids = sorted({client_id for _, client_id in keys})
    found: dict[int, list[SurveySubmission]] = defaultdict(list)
    for submission in await _SUBMISSIONS.all(db, client_ids=client_ids):
        found[submission.client_id].append(submission)
    return [found.get(client_id, []) for _, client_id in keys]


async def submission_answers(db: Database, submission_ids: list[int]) -> list[list[AnswerItem]]:
    """Batch: every question of each submission's survey, in order, with its answer."""
    found: dict[int, list[AnswerItem]] = defaultdict(list)
    for submission_id, question_id, text, answer in await _ANSWERS.all(
        db, submission_ids=submission_ids
    ):
        found[submission_id].append(AnswerItem(question_id, text, answer or ""))
    return by_key(submission_ids, dict(found), [])


def _checked_answers(
    questions: Sequence[SurveyQuestion], answers: Sequence[tuple[str, str]]
) -> dict[int, str]:
    """The answers by question id, or BAD_USER_INPUT naming the first problem."""
    known = {str(q.id): q for q in questions}
    checked: dict[int, str] = {}
    for raw_id, answer in answers:
        question = known.get(str(raw_id).strip())
        if question is None or question.id is None:
            raise BadUserInput(f"Question {raw_id} is not part of this survey.")
        if question.id in checked:
            raise BadUserInput(f"Question {raw_id} is answered more than once.")
        checked_text(answer, "answer", NOTES)
        checked[question.id] = answer
    for question in questions:
        if question.required and not checked.get(question.id or 0, "").strip():
            raise BadUserInput(f"The question {question.text!r} needs an answer.")
    return checked


async def submit_survey(
    db: Database, viewer: Viewer | None, survey_id: int, answers: Sequence[tuple[str, str]]
) -> SurveySubmission:
    """A client submits their answers to a survey: all or nothing."""
    client = require_client(viewer)
    async with db.transaction() as session:
        survey = await session.get(Survey, survey_id)
        if survey is None:
            raise NotFound.of("survey", survey_id)
        questions = list(
            await session.scalars(
                sa.select(SurveyQuestion).where(col(SurveyQuestion.survey_id) == survey_id)
            )
        )
        checked = _checked_answers(questions, answers)
        submission = SurveySubmission(
            survey_id=survey_id, client_id=client.id, submitted_at=clock.now()
        )
        session.add(submission)
        await session.flush()
        assert submission.id is not None
        session.add_all(
            SurveyAnswer(submission_id=submission.id, question_id=qid, answer=text)
            for qid, text in checked.items()
        )
    return submission
