"""GraphQL types and operations for surveys and their submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.auditing import AuditAction
from coach_graph.clients.access import ClientView
from coach_graph.errors import NotFound
from coach_graph.gql import Info, load, parse_id
from coach_graph.surveys import models, service


@strawberry.type(description="A question of a survey.")
class SurveyQuestion:
    id: strawberry.ID = strawberry.field(
        description="The question's id: `questionId` of an answer."
    )
    text: str = strawberry.field(description="The question as the client reads it.")
    required: bool = strawberry.field(description="Whether a submission must answer it.")

    @classmethod
    def of(cls, q: models.SurveyQuestion) -> SurveyQuestion:
        return cls(id=strawberry.ID(str(q.id)), text=q.text, required=q.required)


@strawberry.type(description="A survey clients can fill in.")
class Survey:
    id: strawberry.ID = strawberry.field(
        description="The survey's id: `surveyId` of `submitSurvey`."
    )
    name: str = strawberry.field(description="The survey's name.")
    survey_id: strawberry.Private[int]

    @classmethod
    def of(cls, s: models.Survey) -> Survey:
        assert s.id is not None
        return cls(id=strawberry.ID(str(s.id)), name=s.name, survey_id=s.id)

    @strawberry.field(description="The questions, in order.")
    async def questions(self, info: Info) -> list[SurveyQuestion]:
        rows = await info.context.loaders(service.survey_questions).load(self.survey_id)
        return [SurveyQuestion.of(q) for q in rows]


@strawberry.type(description="A question of a submitted survey with the client's answer.")
class SurveyAnswer:
    question_id: strawberry.ID = strawberry.field(description="The question answered.")
    question: str = strawberry.field(description="The question's text.")
    answer: str = strawberry.field(description='The answer ("" for a skipped optional question).')


@strawberry.type(description="A client's answers to a survey.")
class SurveySubmission:
    id: strawberry.ID = strawberry.field(description="The submission's id.")
    submitted_at: datetime = strawberry.field(description="When the client completed it.")
    row: strawberry.Private[models.SurveySubmission]

    @classmethod
    def of(cls, s: models.SurveySubmission) -> SurveySubmission:
        return cls(id=strawberry.ID(str(s.id)), submitted_at=s.submitted_at, row=s)

    @strawberry.field(description="The survey that was answered.")
    async def survey(self, info: Info) -> Survey:
        survey = await info.context.loaders(service.surveys_by_id).load(self.row.survey_id)
        if survey is None:  # a foreign key holds it; only a concurrent delete gets here
            raise NotFound.of("survey", self.row.survey_id)
        return Survey.of(survey)

    @strawberry.field(description="Every question of the survey, in order, with its answer.")
    async def answers(self, info: Info) -> list[SurveyAnswer]:
        assert self.row.id is not None
        items = await info.context.loaders(service.submission_answers).load(self.row.id)
        return [
            SurveyAnswer(
                question_id=strawberry.ID(str(a.question_id)), question=a.question, answer=a.answer
            )
            for a in items
        ]


@strawberry.input(description="An answer to one question of a survey.")
class SurveyAnswerInput:
    question_id: strawberry.ID = strawberry.field(
        description="A question of the survey being submitted, answered at most once."
    )
    answer: str = strawberry.field(
        description="The answer, up to 5,000 characters; blank only for an optional question."
    )


@strawberry.type
class SurveyClientFields:
    """The surveys domain's fields of Client."""

    view: strawberry.Private[ClientView]

    @strawberry.field(description="The client's survey submissions, newest first.")
    async def survey_submissions(self, info: Info) -> list[SurveySubmission]:
        rows = await load(info, service.client_submissions, (self.view.coach_id, self.view.id))
        if rows:
            info.context.audit_read(self.view.id, AuditAction.READ_SURVEYS)
        return [SurveySubmission.of(s) for s in rows]


@strawberry.type
class Query:
    @strawberry.field(description="Every survey, with its questions in order.")
    async def surveys(self, info: Info) -> list[Survey]:
        return [
            Survey.of(s) for s in await service.list_surveys(info.context.db, info.context.viewer)
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Submit answers to a survey (client). Every required question needs an "
        "answer; answers to questions of another survey, or twice to one question, are refused."
    )
    async def submit_survey(
        self,
        info: Info,
        survey_id: Annotated[strawberry.ID, strawberry.argument(description="The survey.")],
        answers: Annotated[
            list[SurveyAnswerInput],
            strawberry.argument(description="One answer per question answered, in any order."),
        ],
    ) -> SurveySubmission:
        submission = await service.submit_survey(
            info.context.db,
            info.context.viewer,
            parse_id(survey_id, "survey"),
            [(str(a.question_id), a.answer) for a in answers],
        )
        return SurveySubmission.of(submission)
