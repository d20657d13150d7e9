"""Surveys: listing them, submitting answers (client), and the client's Surveys tab."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from coach_graph import clock
from coach_graph.surveys.models import SurveyAnswer, SurveySubmission
from tests.conftest import GraphQLClient, Practice
from tests.graph_data import add_survey, count_rows

SURVEYS = "{ surveys { id name questions { id text required } } }"
SUBMIT = """mutation($s: ID!, $a: [SurveyAnswerInput!]!) { submitSurvey(surveyId: $s, answers: $a) {
  id submittedAt survey { name } answers { questionId question answer } } }"""
TAB = """query($id: ID!) { client(id: $id) { surveySubmissions {
  id submittedAt survey { id name } answers { questionId question answer } } } }"""


@pytest.fixture
async def survey(practice: Practice) -> dict[str, Any]:
    row, questions = await add_survey(
        practice.resources.db,
        "Weekly check-in",
        [("How was your week?", True), ("What got in the way?", False), ("Mood 1-10?", True)],
    )
    return {"id": str(row.id), "q": [str(q.id) for q in questions]}


async def test_surveys_list_questions_in_order(
    gql: GraphQLClient, practice: Practice, survey: dict[str, Any]
) -> None:
    await add_survey(practice.resources.db, "Intake", [("Goals?", True)])
    data = await gql.data(SURVEYS, token=await practice.token(await practice.client()))
    assert [s["name"] for s in data["surveys"]] == ["Intake", "Weekly check-in"]
    weekly = data["surveys"][1]
    assert [q["text"] for q in weekly["questions"]] == [
        "How was your week?",
        "What got in the way?",
        "Mood 1-10?",
    ]
    assert [q["required"] for q in weekly["questions"]] == [True, False, True]
    assert [q["id"] for q in weekly["questions"]] == survey["q"]


async def test_a_submission_shows_on_the_surveys_tab_newest_first_with_every_question(
    gql: GraphQLClient,
    practice: Practice,
    survey: dict[str, Any],
    manual_clock: clock.ManualClock,
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    token = await practice.token(client)
    q = survey["q"]
    first = await gql.data(
        SUBMIT,
        {
            "s": survey["id"],
            "a": [{"questionId": q[2], "answer": "7"}, {"questionId": q[0], "answer": "Busy"}],
        },
        token=token,
    )
    assert first["submitSurvey"]["survey"] == {"name": "Weekly check-in"}
    assert first["submitSurvey"]["answers"] == [
        {"questionId": q[0], "question": "How was your week?", "answer": "Busy"},
        {"questionId": q[1], "question": "What got in the way?", "answer": ""},
        {"questionId": q[2], "question": "Mood 1-10?", "answer": "7"},
    ]
    manual_clock.advance(timedelta(days=6))
    second = await gql.data(
        SUBMIT,
        {
            "s": survey["id"],
            "a": [
                {"questionId": q[0], "answer": "Calm"},
                {"questionId": q[1], "answer": "Nothing"},
                {"questionId": q[2], "answer": "9"},
            ],
        },
        token=token,
    )
    tab = await gql.data(TAB, {"id": str(client.id)}, token=await practice.token(coach))
    rows = tab["client"]["surveySubmissions"]
    assert [r["id"] for r in rows] == [second["submitSurvey"]["id"], first["submitSurvey"]["id"]]
    assert rows[0]["submittedAt"] == "2026-03-08T10:00:00Z"
    assert rows[1]["submittedAt"] == "2026-03-02T10:00:00Z"
    assert rows[0]["survey"] == {"id": survey["id"], "name": "Weekly check-in"}
    assert [a["answer"] for a in rows[0]["answers"]] == ["Calm", "Nothing", "9"]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (lambda q: [{"questionId": q[0], "answer": "a"}], "needs an answer"),
        (
            lambda q: [{"questionId": q[0], "answer": "a"}, {"questionId": q[2], "answer": "  "}],
            "needs an answer",
        ),
        (
            lambda q: [
                {"questionId": q[0], "answer": "a"},
                {"questionId": q[2], "answer": "1"},
                {"questionId": "999999", "answer": "x"},
            ],
            "not part of this survey",
        ),
        (
            lambda q: [
                {"questionId": q[0], "answer": "a"},
                {"questionId": q[2], "answer": "1"},
                {"questionId": "abc", "answer": "x"},
            ],
            "not part of this survey",
        ),
        (
            lambda q: [
                {"questionId": q[0], "answer": "a"},
                {"questionId": q[2], "answer": "1"},
                {"questionId": q[0], "answer": "b"},
            ],
            "more than once",
        ),
        (lambda q: [], "needs an answer"),
    ],
    ids=[
        "missing-required",
        "blank-required",
        "unknown-question",
        "malformed-question-id",
        "duplicate",
        "empty",
    ],
)
async def test_bad_answers_are_refused_and_nothing_is_written(
    gql: GraphQLClient,
    practice: Practice,
    survey: dict[str, Any],
    answers: Any,
    message: str,
) -> None:
    client = await practice.client(await practice.coach())
    error = await gql.error(
        SUBMIT, {"s": survey["id"], "a": answers(survey["q"])}, token=await practice.token(client)
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
    assert await count_rows(practice.resources.db, SurveySubmission) == 0
    assert await count_rows(practice.resources.db, SurveyAnswer) == 0


async def test_answering_another_survey_s_question_is_refused(
    gql: GraphQLClient, practice: Practice, survey: dict[str, Any]
) -> None:
    _, (other_q,) = await add_survey(practice.resources.db, "Intake", [("Goals?", False)])
    q = survey["q"]
    error = await gql.error(
        SUBMIT,
        {
            "s": survey["id"],
            "a": [
                {"questionId": q[0], "answer": "a"},
                {"questionId": q[2], "answer": "1"},
                {"questionId": str(other_q.id), "answer": "x"},
            ],
        },
        token=await practice.token(await practice.client()),
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await count_rows(practice.resources.db, SurveySubmission) == 0


async def test_an_unknown_survey_is_not_found(gql: GraphQLClient, practice: Practice) -> None:
    error = await gql.error(
        SUBMIT, {"s": "31337", "a": []}, token=await practice.token(await practice.client())
    )
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_a_coach_cannot_submit_a_survey(
    gql: GraphQLClient, practice: Practice, survey: dict[str, Any]
) -> None:
    error = await gql.error(
        SUBMIT, {"s": survey["id"], "a": []}, token=await practice.token(await practice.coach())
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await count_rows(practice.resources.db, SurveySubmission) == 0


async def test_surveys_need_a_login(gql: GraphQLClient, survey: dict[str, Any]) -> None:
    error = await gql.error(SURVEYS)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
