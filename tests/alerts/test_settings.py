from __future__ import annotations

import pytest
import sqlalchemy as sa

from coach_graph.alerts.models import Alert, AlertSettings
from coach_graph.alerts.rules import DEFAULT_RULES, Rule
from coach_graph.alerts.service import alert_settings
from coach_graph.db import Database
from tests.alerts.conftest import History
from tests.conftest import GraphQLClient, Practice

SETTINGS = """{ alertSettings {
  inactivity { enabled days } homework { enabled days } journal { enabled days }
} }"""
UPDATE = """mutation($input: AlertSettingsInput!) {
  updateAlertSettings(input: $input) {
    inactivity { enabled days } homework { enabled days } journal { enabled days }
  }
}"""


async def _count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def test_a_coach_without_saved_settings_gets_the_defaults(
    gql: GraphQLClient, practice: Practice
) -> None:
    token = await practice.token(await practice.coach())
    assert (await gql.data(SETTINGS, token=token))["alertSettings"] == {
        "inactivity": {"enabled": True, "days": 7},
        "homework": {"enabled": True, "days": 1},
        "journal": {"enabled": True, "days": 7},
    }


async def test_saving_some_rules_keeps_the_others(
    gql: GraphQLClient, practice: Practice, db: Database
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    saved = await gql.data(
        UPDATE, {"input": {"inactivity": {"enabled": False, "days": 30}}}, token=token
    )
    assert saved["updateAlertSettings"]["inactivity"] == {"enabled": False, "days": 30}
    again = await gql.data(UPDATE, {"input": {"journal": {"enabled": True, "days": 365}}}, token)
    assert again["updateAlertSettings"] == {
        "inactivity": {"enabled": False, "days": 30},
        "homework": {"enabled": True, "days": 1},
        "journal": {"enabled": True, "days": 365},
    }
    assert (await gql.data(SETTINGS, token=token))["alertSettings"] == again["updateAlertSettings"]
    assert coach.id is not None
    assert await alert_settings(db, coach.id) == DEFAULT_RULES.__class__(
        inactivity=Rule(False, 30), homework=Rule(True, 1), journal=Rule(True, 365)
    )


@pytest.mark.parametrize("days", [0, 366, -3])
async def test_a_threshold_outside_1_to_365_is_refused_and_nothing_is_saved(
    gql: GraphQLClient, practice: Practice, db: Database, days: int
) -> None:
    token = await practice.token(await practice.coach())
    error = await gql.error(
        UPDATE,
        {
            "input": {
                "inactivity": {"enabled": True, "days": 3},
                "homework": {"enabled": True, "days": days},
            }
        },
        token=token,
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "homework threshold" in error["message"] and str(days) in error["message"]
    assert await _count(db, AlertSettings) == 0
    assert (await gql.data(SETTINGS, token=token))["alertSettings"]["inactivity"]["days"] == 7


async def test_only_a_coach_has_alert_settings(gql: GraphQLClient, practice: Practice) -> None:
    client_token = await practice.token(await practice.client())
    assert (await gql.error(SETTINGS, token=client_token))["extensions"]["code"] == "FORBIDDEN"
    error = await gql.error(UPDATE, {"input": {}}, token=client_token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.error(SETTINGS))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_saving_settings_re_evaluates_at_once(
    gql: GraphQLClient, practice: Practice, history: History, db: Database
) -> None:
    coach = await practice.coach()
    client = await practice.client(coach, name="Ada")
    await history.linked(coach, client, 40)
    await history.active(client, 5)
    await history.journal(client, 1)
    token = await practice.token(coach)
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": True, "days": 7}}}, token=token)
    assert await _count(db, Alert) == 0  # 5 days inactive: under 7
    await gql.data(UPDATE, {"input": {"inactivity": {"enabled": True, "days": 3}}}, token=token)
    alerts = await gql.data(
        "{ alerts { edges { node { category message client { name } } } } }", token=token
    )
    assert [e["node"] for e in alerts["alerts"]["edges"]] == [
        {
            "category": "INACTIVITY",
            "message": "Ada has not been active for 5 days.",
            "client": {"name": "Ada"},
        }
    ]
