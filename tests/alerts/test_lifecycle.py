"""The alert lifecycle of SPEC.md: OPEN until dismissed or until its cause ends (RESOLVED, with
`resolvedAt`); a cause ended by a write resolves in that write's transaction, the evaluator
resolves the rest; a new cause after a resolution raises a new alert."""

from __future__ import annotations

from datetime import timedelta

from coach_graph import clock
from coach_graph.alerts.evaluator import evaluate
from coach_graph.alerts.store import ALERT_CHANGES_CHANNEL
from coach_graph.context import Resources
from coach_graph.db import Database
from tests.alerts.conftest import History
from tests.conftest import GraphQLClient, Practice
from tests.graph_data import add_catalogue

ALERTS = """query($all: Boolean) { alerts(includeDismissed: $all) {
  edges { node { id category status resolvedAt dismissedAt } } } }"""
UPDATE = """mutation($input: AlertSettingsInput!) {
  updateAlertSettings(input: $input) { inactivity { days } } }"""


async def _alerts(gql: GraphQLClient, token: str, every: bool = True) -> list[dict[str, object]]:
    data = await gql.data(ALERTS, {"all": every}, token)
    return [e["node"] for e in data["alerts"]["edges"]]


async def test_writing_an_entry_resolves_the_journal_alert_at_once_and_pushes_the_change(
    gql: GraphQLClient, practice: Practice, history: History, db: Database, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 30)
    await history.active(client, 0)
    assert len(await evaluate(db)) == 1  # JOURNAL only: active today
    coach_token, client_token = await practice.token(coach), await practice.token(client)
    [alert] = await _alerts(gql, coach_token, every=False)
    assert (alert["category"], alert["status"], alert["resolvedAt"]) == ("JOURNAL", "OPEN", None)
    async with resources.realtime.subscribe(ALERT_CHANGES_CHANNEL) as events:
        await gql.data(
            'mutation { createJournalEntry(content: "A good day.") { id } }', token=client_token
        )
        assert await anext(events) == {"coachId": coach.id, "alertIds": [int(alert["id"])]}
    assert await _alerts(gql, coach_token, every=False) == []  # the default list: OPEN only
    [resolved] = await _alerts(gql, coach_token)
    assert resolved["status"] == "RESOLVED" and resolved["resolvedAt"] is not None


async def test_a_client_active_again_is_resolved_by_the_evaluator_and_a_new_spell_alerts_again(
    gql: GraphQLClient,
    practice: Practice,
    history: History,
    db: Database,
    manual_clock: clock.ManualClock,
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 30)
    await history.journal(client, 0)
    await history.active(client, 10)
    assert len(await evaluate(db)) == 1
    await history.active(client, 0)  # what the activity flusher writes
    assert await evaluate(db) == []
    token = await practice.token(coach)
    assert [a["status"] for a in await _alerts(gql, token)] == ["RESOLVED"]
    manual_clock.advance(timedelta(days=9))
    await history.journal(client, 0)
    assert len(await evaluate(db)) == 1
    token = await practice.token(coach)  # the first one expired meanwhile
    assert sorted(a["status"] for a in await _alerts(gql, token)) == ["OPEN", "RESOLVED"]


async def test_disabling_or_raising_a_threshold_resolves_and_lowering_it_again_raises_anew(
    gql: GraphQLClient, practice: Practice, history: History
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 30)
    await history.journal(client, 0)
    await history.active(client, 10)
    token = await practice.token(coach)
    rule = {"journal": {"enabled": True, "days": 7}, "homework": {"enabled": True, "days": 1}}
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": True, "days": 7}, **rule}}, token)
    assert [a["status"] for a in await _alerts(gql, token)] == ["OPEN"]
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": True, "days": 20}}}, token)
    assert [a["status"] for a in await _alerts(gql, token)] == ["RESOLVED"]
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": True, "days": 7}}}, token)
    assert sorted(a["status"] for a in await _alerts(gql, token)) == ["OPEN", "RESOLVED"]
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": True, "days": 5}}}, token)
    assert len(await _alerts(gql, token)) == 2  # never a duplicate of an open alert
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": False, "days": 5}}}, token)
    assert [a["status"] for a in await _alerts(gql, token)] == ["RESOLVED", "RESOLVED"]


async def test_withdrawing_consent_resolves_the_client_s_alerts_and_a_dismissed_one_stays(
    gql: GraphQLClient, practice: Practice, history: History, db: Database
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.linked(coach, client, 30)
    await history.active(client, 10)
    assert len(await evaluate(db)) == 2  # inactivity and journal
    token = await practice.token(coach)
    first, second = await _alerts(gql, token)
    await gql.data(
        "mutation($id: ID!) { dismissAlert(id: $id) { status } }", {"id": first["id"]}, token
    )
    await gql.data(
        "mutation($c: ID!) { setConsent(coachId: $c, status: DECLINED) { status } }",
        {"c": str(coach.id)},
        await practice.token(client),
    )
    statuses = {
        a["id"]: (a["status"], a["resolvedAt"] is not None) for a in await _alerts(gql, token)
    }
    assert statuses == {first["id"]: ("DISMISSED", True), second["id"]: ("RESOLVED", True)}


async def test_a_new_assignment_replaces_the_overdue_one_and_resolves_its_alert_at_once(
    gql: GraphQLClient, practice: Practice, history: History, db: Database, resources: Resources
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach)
    await history.active(client, 0)
    await history.journal(client, 0)
    await history.homework(coach, client, expired_days_ago=3)
    assert len(await evaluate(db)) == 1
    token = await practice.token(coach)
    [alert] = await _alerts(gql, token, every=False)
    assert alert["category"] == "HOMEWORK"
    lesson = (await add_catalogue(db, {"Sleep": ["Evening Routine"]})).lesson("Evening Routine")
    async with resources.realtime.subscribe(ALERT_CHANGES_CHANNEL) as events:
        await gql.data(
            "mutation($c: ID!, $l: ID!) { assignHomework(clientId: $c, lessonId: $l) { id } }",
            {"c": str(client.id), "l": str(lesson.id)},
            token,
        )
        assert await anext(events) == {"coachId": coach.id, "alertIds": [int(alert["id"])]}
    [resolved] = await _alerts(gql, token)
    assert resolved["status"] == "RESOLVED" and resolved["resolvedAt"] is not None
    # Replaced, the old assignment is no cause any more: the evaluator raises nothing anew.
    assert await evaluate(db) == []
    await history.homework(coach, client, expired_days_ago=5, assigned_days_ago=60)
    assert await evaluate(db) == []  # an older assignment, overdue or not, is replaced too
