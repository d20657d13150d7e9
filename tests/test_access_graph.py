"""Access matrix of the client graph: every operation of the foundation and of the client graph
as anonymous, another coach, another client, and a coach whose client has not granted consent.

The world: coach `owner` with client `ann` (GRANTED): homework, a journal entry, a survey
submission, inactive for a month. Coach `pending` is linked to `ann` too, but ann has not
granted consent. Coach `stranger` is linked to nobody; client `zed` belongs to nobody.
Nothing about ann may reach anyone but `owner` (and ann herself), and a refusal for an id that
exists but is hidden reads exactly like one for an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.clients.models import CoachClient, ConsentStatus
from coach_graph.homework.models import Homework
from coach_graph.surveys.models import SurveySubmission
from tests.conftest import PASSWORD, T0, GraphQLClient, Practice
from tests.graph_data import (
    add_catalogue,
    add_homework,
    add_journal,
    add_submission,
    add_survey,
    set_last_active,
)

ACTORS = ("anonymous", "stranger", "zed", "pending")
MISSING_ID = "987654"


@dataclass
class World:
    gql: GraphQLClient
    practice: Practice
    owner: User
    pending: User
    stranger: User
    ann: User
    zed: User
    homework_id: str
    lesson_id: str
    survey_id: str
    question_ids: list[str]
    tokens: dict[str, str | None]

    async def ask(self, actor: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        return await self.gql(query, variables, token=self.tokens[actor])

    async def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused mutation could have changed."""
        async with self.practice.resources.db.session() as session:
            links = (
                await session.execute(
                    sa.select(
                        col(CoachClient.coach_id),
                        col(CoachClient.client_id),
                        col(CoachClient.consent),
                        col(CoachClient.consent_updated_at),
                    ).order_by(col(CoachClient.id))
                )
            ).all()
            homework = (
                await session.execute(sa.select(col(Homework.id), col(Homework.completed_at)))
            ).all()
            submissions = await session.scalar(
                sa.select(sa.func.count()).select_from(SurveySubmission)
            )
        return (tuple(links), tuple(homework), submissions)


@pytest.fixture
async def world(gql: GraphQLClient, practice: Practice) -> World:
    db = practice.resources.db
    owner = await practice.coach("Owner Coach")
    pending = await practice.coach("Pending Coach")
    stranger = await practice.coach("Stranger Coach")
    ann = await practice.client(owner, "Ann Secret", email="ann.secret@example.test")
    await practice.link(pending, ann, ConsentStatus.PENDING)
    zed = await practice.client(None, "Zed Other")
    catalogue = await add_catalogue(db)
    hw = await add_homework(
        db, owner, ann, catalogue.lesson("Breathing"), T0, expires_at=T0 + timedelta(days=3)
    )
    survey, questions = await add_survey(db, "Check-in", [("Mood?", True)])
    await add_submission(db, ann, survey, T0, {questions[0].id or 0: "secret answer"})
    await add_journal(db, ann, T0, "ann's private journal")
    await set_last_active(db, ann, T0 - timedelta(days=30))
    tokens: dict[str, str | None] = {"anonymous": None}
    for name, user in (("stranger", stranger), ("zed", zed), ("pending", pending)):
        tokens[name] = await practice.token(user)
    return World(
        gql,
        practice,
        owner,
        pending,
        stranger,
        ann,
        zed,
        str(hw.id),
        str(catalogue.lesson("Reframing").id),
        str(survey.id),
        [str(q.id) for q in questions],
        tokens,
    )


SECRETS = ("Ann Secret", "ann.secret@example.test", "secret answer", "private journal")


def leaks(body: Any) -> list[str]:
    text = repr(body)
    return [s for s in SECRETS if s in text]


def error_code(body: Any) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


# An operation: the document, variables built from the world, and the outcome per actor.
# Outcomes: an error code, or a callable checking the data.
Check = Callable[[World, dict[str, Any]], None]


@dataclass
class Op:
    name: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    outcome: dict[str, str | Check]
    # The same document with the hidden id replaced by one that does not exist.
    missing: Callable[[World], dict[str, Any]] | None = None


def ok_own_viewer(w: World, data: dict[str, Any]) -> None:
    assert data["viewer"]["id"] != str(w.ann.id)


def empty(field: str) -> Check:
    def check(w: World, data: dict[str, Any]) -> None:
        value = data[field]
        assert value in ([], None) or value.get("edges") == [], value
        if isinstance(value, dict):
            assert value["totalCount"] == 0

    return check


def null(field: str) -> Check:
    def check(w: World, data: dict[str, Any]) -> None:
        assert data[field] is None

    return check


def not_empty(field: str) -> Check:
    def check(w: World, data: dict[str, Any]) -> None:
        assert data[field]

    return check


def pending_consent_only(w: World, data: dict[str, Any]) -> None:
    # The Consent Status page shows the pending coach that ann is linked and PENDING, nothing
    # of her data; that is what the page is for.
    assert [(r["clientId"], r["status"]) for r in data["consents"]] == [(str(w.ann.id), "PENDING")]


def removed_own_link(w: World, data: dict[str, Any]) -> None:
    assert data == {"deleteClient": True}


CLIENT_DOC = """query($id: ID!) { client(id: $id) { id name email activity homeworkBadge
  homework { id } surveySubmissions { id answers { answer } }
  timeline { totalCount edges { node { title description } } } } }"""

OPS = [
    Op(
        "viewer",
        "{ viewer { id role email } }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": ok_own_viewer,
            "zed": ok_own_viewer,
            "pending": ok_own_viewer,
        },
    ),
    Op(
        "clients",
        "{ clients { totalCount edges { node { id name email } } } }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": empty("clients"),
            "zed": "FORBIDDEN",
            "pending": empty("clients"),
        },
    ),
    Op(
        "client",
        CLIENT_DOC,
        lambda w: {"id": str(w.ann.id)},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": null("client"),
            "zed": null("client"),
            "pending": null("client"),
        },
    ),
    Op(
        "needsAttention",
        "{ needsAttention { client { id name } daysInactive } }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": empty("needsAttention"),
            "zed": "FORBIDDEN",
            "pending": empty("needsAttention"),
        },
    ),
    Op(
        "consents",
        "{ consents { clientId status updatedAt } }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": empty("consents"),
            "zed": "FORBIDDEN",
            "pending": pending_consent_only,
        },
    ),
    Op(
        "lessons",
        "{ lessons { id title } }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": not_empty("lessons"),
            "zed": "FORBIDDEN",
            "pending": not_empty("lessons"),
        },
    ),
    Op(
        "surveys",
        "{ surveys { id name questions { text } } }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": not_empty("surveys"),
            "zed": not_empty("surveys"),
            "pending": not_empty("surveys"),
        },
    ),
    Op(
        "logout",
        "mutation { logout }",
        lambda w: {},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": not_empty("logout"),
            "zed": not_empty("logout"),
            "pending": not_empty("logout"),
        },
    ),
    Op(
        "assignHomework",
        "mutation($c: ID!, $l: ID!) { assignHomework(clientId: $c, lessonId: $l) { id } }",
        lambda w: {"c": str(w.ann.id), "l": w.lesson_id},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": "NOT_FOUND",
            "zed": "FORBIDDEN",
            "pending": "NOT_FOUND",
        },
        missing=lambda w: {"c": MISSING_ID, "l": w.lesson_id},
    ),
    Op(
        "completeHomework",
        "mutation($id: ID!) { completeHomework(id: $id) { id status } }",
        lambda w: {"id": w.homework_id},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": "FORBIDDEN",
            "zed": "NOT_FOUND",
            "pending": "FORBIDDEN",
        },
        missing=lambda w: {"id": MISSING_ID},
    ),
    Op(
        "submitSurvey",
        "mutation($s: ID!, $a: [SurveyAnswerInput!]!) { submitSurvey(surveyId: $s, answers: $a) "
        "{ id } }",
        lambda w: {"s": w.survey_id, "a": [{"questionId": w.question_ids[0], "answer": "x"}]},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": "FORBIDDEN",
            "zed": not_empty("submitSurvey"),
            "pending": "FORBIDDEN",
        },
    ),
    Op(
        "setConsent",
        "mutation($c: ID!) { setConsent(coachId: $c, status: GRANTED) { clientId status } }",
        lambda w: {"c": str(w.owner.id)},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": "FORBIDDEN",
            "zed": "NOT_FOUND",
            "pending": "FORBIDDEN",
        },
        missing=lambda w: {"c": MISSING_ID},
    ),
    Op(
        "deleteClient",
        "mutation($id: ID!) { deleteClient(id: $id) }",
        lambda w: {"id": str(w.ann.id)},
        {
            "anonymous": "UNAUTHENTICATED",
            "stranger": "NOT_FOUND",
            "zed": "FORBIDDEN",
            "pending": removed_own_link,
        },
        missing=lambda w: {"id": MISSING_ID},
    ),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_access(world: World, op: Op, actor: str) -> None:
    before = await world.snapshot()
    body = await world.ask(actor, op.query, op.variables(world))
    expected = op.outcome[actor]
    assert leaks(body) == [], body
    if isinstance(expected, str):
        assert error_code(body) == expected, body
        assert await world.snapshot() == before, "a refused operation wrote something"
        if op.missing is not None and expected == "NOT_FOUND":
            # Hidden and non-existent ids answer alike (up to the id itself).
            hidden_id = next(v for v in op.variables(world).values() if isinstance(v, str))
            other = await world.ask(actor, op.query, op.missing(world))
            assert error_code(other) == "NOT_FOUND"
            assert body["errors"][0]["message"].replace(hidden_id, "ID") == other["errors"][0][
                "message"
            ].replace(MISSING_ID, "ID")
    else:
        assert not body.get("errors"), body
        expected(world, body["data"])


async def test_the_owner_sees_ann_and_the_pending_coach_keeps_nothing_of_hers(
    world: World,
) -> None:
    """The matrix's control: the same documents as the owner do return ann's data, so the
    empty answers above are refusals, not an empty world."""
    token = await world.practice.token(world.owner)
    body = await world.gql(CLIENT_DOC, {"id": str(world.ann.id)}, token=token)
    assert body["data"]["client"]["name"] == "Ann Secret"
    assert body["data"]["client"]["timeline"]["totalCount"] == 3
    assert sorted(leaks(body)) == sorted(SECRETS)
    clients = await world.gql(
        "{ clients { totalCount } needsAttention { client { id } } }", token=token
    )
    assert clients["data"]["clients"]["totalCount"] == 1
    assert clients["data"]["needsAttention"] == [{"client": {"id": str(world.ann.id)}}]


async def test_login_does_not_tell_unknown_addresses_from_wrong_passwords(
    gql: GraphQLClient, world: World
) -> None:
    query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
    wrong = await gql(query, {"e": "ann.secret@example.test", "p": "not-the-password"})
    unknown = await gql(query, {"e": "nobody@example.test", "p": "not-the-password"})
    assert error_code(wrong) == error_code(unknown) == "UNAUTHENTICATED"
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    good = await gql(query, {"e": "ann.secret@example.test", "p": PASSWORD})
    assert good["data"]["login"]["token"]
