from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach_graph.fields import foreign_key, utc_column
from coach_graph.search import sort_key_column


class Survey(SQLModel, table=True):
    __tablename__ = "survey"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = utc_column(now=True)
    # The name folded: what the list of surveys sorts by (search.py).
    sort_key: str = sort_key_column("name")


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = foreign_key("survey.id")
    position: int
    text: str = Field(max_length=1000)
    required: bool = Field(default=True)


class SurveySubmission(SQLModel, table=True):
    __tablename__ = "survey_submission"
    __table_args__ = (sa.Index("ix_survey_submission_client_at", "client_id", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = foreign_key("survey.id")
    client_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    submitted_at: datetime = utc_column(now=True)


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = foreign_key("survey_submission.id")
    question_id: int = foreign_key("survey_question.id")
    answer: str = Field(sa_type=sa.Text)
