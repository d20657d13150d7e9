"""No N+1: the My Clients page and a client's detail run as many SQL statements for 100 rows as
for 10."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coach_graph.accounts.models import Role, User
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.config import Settings
from coach_graph.homework.models import Homework
from coach_graph.journals.models import JournalEntry
from coach_graph.surveys.models import SurveyAnswer, SurveySubmission
from tests.conftest import T0, GraphQLClient, Practice, count_statements, count_tasks
from tests.graph_data import add_catalogue, add_survey


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages of 100 rows with every nested list: far over the cost limit of a real request,
    which is not what these tests measure (SQL statements per page)."""
    return settings.with_(query_cost_limit=1_000_000)


MY_CLIENTS = """{ clients(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id name email avatarUrl isPremium lastActiveAt activity daysInactive
    homeworkBadge lastJournalAt } } }
  needsAttention { client { id name } daysInactive } }"""

# Half the columns through a fragment: priming must see through fragments.
TABLE = """{ clients(first: 50) { edges { node { id name homeworkBadge ...Journal } } } }
fragment Journal on Client { activity lastJournalAt }"""

DETAIL = """query($id: ID!) { client(id: $id) {
  id name email activity daysInactive homeworkBadge
  homework { id status assignedAt expiresAt completedAt lesson { id title module { id title } } }
  surveySubmissions { id submittedAt survey { id name questions { id text required } }
    answers { questionId question answer } }
  timeline(first: 100) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind title description occurredAt subjectId } } } } }"""


async def seed_clients(practice: Practice, coach: User, n: int) -> None:
    """`n` GRANTED clients of varied activity, each with homework."""
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    lessons = list(catalogue.lessons.values())
    async with db.transaction() as session:
        for i in range(n):
            client = User(
                role=Role.CLIENT.value,
                email=f"c{n}-{i}@example.test",
                name=f"Client {i:03}",
                password_hash="-",
                is_premium=i % 3 == 0,
                last_active_at=None if i % 4 == 0 else T0 - timedelta(days=i % 12),
            )
            session.add(client)
            await session.flush()
            session.add(
                CoachClient(
                    coach_id=coach.id,
                    client_id=client.id,
                    consent=ConsentStatus.GRANTED.value,
                    linked_at=T0 - timedelta(days=30),
                )
            )
            for k in range(i % 3):
                session.add(
                    Homework(
                        coach_id=coach.id,
                        client_id=client.id,
                        lesson_id=lessons[(i + k) % len(lessons)].id,
                        assigned_at=T0 - timedelta(days=k + 1),
                        expires_at=T0 + timedelta(days=i % 4 - 1),
                        completed_at=T0 if (i + k) % 5 == 0 else None,
                    )
                )


async def seed_detail(practice: Practice, coach: User, client: User, n: int) -> None:
    """`n` homework, `n` journal entries and `n` survey submissions for one client."""
    db = practice.resources.db
    catalogue = await add_catalogue(db)
    lessons = list(catalogue.lessons.values())
    surveys = [
        await add_survey(db, f"Survey {s}", [("Mood?", True), ("Notes?", False)]) for s in range(3)
    ]
    async with db.transaction() as session:
        for i in range(n):
            at = T0 - timedelta(hours=i + 1)
            session.add(
                Homework(
                    coach_id=coach.id,
                    client_id=client.id,
                    lesson_id=lessons[i % len(lessons)].id,
                    assigned_at=at,
                    completed_at=at + timedelta(minutes=30) if i % 2 else None,
                )
            )
            session.add(
                JournalEntry(
                    client_id=client.id,
                    created_at=at,
                    content=f"Entry number {i}",
                    summary="Calm." if i % 2 else None,
                )
            )
            survey, questions = surveys[i % len(surveys)]
            submission = SurveySubmission(survey_id=survey.id, client_id=client.id, submitted_at=at)
            session.add(submission)
            await session.flush()
            session.add(
                SurveyAnswer(submission_id=submission.id, question_id=questions[0].id, answer="7")
            )


async def my_clients_statements(gql: GraphQLClient, practice: Practice, n: int) -> int:
    coach = await practice.coach()
    await seed_clients(practice, coach, n)
    token = await practice.token(coach)
    with count_statements(practice.resources.db) as statements:
        data = await gql.data(MY_CLIENTS, token=token)
    assert len(data["clients"]["edges"]) == n
    return len(statements)


async def detail_statements(gql: GraphQLClient, practice: Practice, n: int) -> int:
    coach = await practice.coach()
    client = await practice.client(coach)
    await seed_detail(practice, coach, client, n)
    token = await practice.token(coach)
    with count_statements(practice.resources.db) as statements:
        data = await gql.data(DETAIL, {"id": str(client.id)}, token=token)
    assert len(data["client"]["homework"]) == n
    assert len(data["client"]["surveySubmissions"]) == n
    assert data["client"]["timeline"]["totalCount"] == 3 * n + n // 2
    return len(statements)


@pytest.mark.without_execution_check  # an upper bound on the statements of one request
async def test_my_clients_page_runs_the_same_statements_for_10_and_100_clients(
    gql: GraphQLClient, practice: Practice
) -> None:
    small = await my_clients_statements(gql, practice, 10)
    large = await my_clients_statements(gql, practice, 100)
    assert small == large, (small, large)
    # 5 today: auth, page, count, latest homework, needsAttention.
    assert small <= 8, small


async def test_client_detail_runs_the_same_statements_for_10_and_100_rows(
    gql: GraphQLClient, practice: Practice
) -> None:
    small = await detail_statements(gql, practice, 10)
    large = await detail_statements(gql, practice, 100)
    assert small == large, (small, large)
    # 10 today: auth, client, badge, homework, submissions, surveys, questions, answers,
    # timeline page, timeline count.
    assert small <= 12, small


async def test_the_my_clients_page_loads_its_row_columns_without_a_task_per_row(
    gql: GraphQLClient, practice: Practice
) -> None:
    """lastJournalAt and homeworkBadge are primed for the whole page: rows resolve at once."""

    coach = await practice.coach()
    for _ in range(20):
        await practice.client(coach)
    token = await practice.token(coach)
    with count_tasks() as created:
        data = await gql.data(TABLE, token=token)
    assert len(data["clients"]["edges"]) == 20
    assert created == []


EVERY_CLIENT_FIELD = """{ clients(first: 50) { totalCount edges { node {
  id name email avatarUrl isPremium lastActiveAt activity daysInactive homeworkBadge lastJournalAt
  journalEntries(first: 3) { totalCount edges { node { id analysis { sentiment } } } }
  summaries { id } canGenerateSummary
  recentEmotions(last: 3) { at } emotionsOverTime(range: MONTH) { at }
  surveySubmissions { id survey { name } answers { question answer } }
  homework { id status lesson { title module { title } } }
  timeline(first: 3) { edges { node { id kind } } }
  sessions(first: 3) { totalCount edges { node { id service { name } clientName clientEmail
    client { id } joinUrl fee { amountMinor } coach { id name services { name } } } } }
  sessionStats { total revenue { amountMinor } }
} } } }"""


async def test_every_client_field_in_a_list_runs_a_constant_number_of_statements(
    gql: GraphQLClient, practice: Practice
) -> None:
    """The guard against N+1 across domains: each Client field batches over the list."""
    coach = await practice.coach()
    token = await practice.token(coach)
    db = practice.resources.db

    async def statements() -> int:
        with count_statements(db) as seen:
            data = await gql.data(EVERY_CLIENT_FIELD, token=token)
        assert len(data["clients"]["edges"]) == data["clients"]["totalCount"]
        return len(seen)

    for _ in range(3):
        await practice.client(coach)
    few = await statements()
    for _ in range(7):
        await practice.client(coach)
    assert await statements() == few
