"""alertCreated over real websockets against the app (in process), both protocols."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.applications import Starlette

from coach_graph import clock
from coach_graph.accounts.models import User
from coach_graph.alerts.evaluator import run_evaluation
from coach_graph.alerts.models import Alert, AlertCategory, AlertSeverity
from coach_graph.alerts.store import ALERTS_CHANNEL, alert_row
from coach_graph.config import Settings
from coach_graph.context import Resources
from tests.alerts.conftest import History, replay
from tests.conftest import GraphQLClient, Practice, count_statements
from tests.ws import LEGACY_WS, TRANSPORT_WS, app_socket, until

SUBSCRIPTION = """subscription($after: ID) {
  alertCreated(afterId: $after) { id category message client { id name } }
}"""
PROTOCOLS = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])


async def subscribed(resources: Resources, count: int = 1) -> None:
    await until(lambda: resources.realtime.subscriber_count(ALERTS_CHANNEL) >= count)


class Alerts:
    """Raises alerts the way the product does: committed, then published."""

    def __init__(self, resources: Resources, practice: Practice, history: History) -> None:
        self.resources, self.practice, self.history = resources, practice, history

    async def inactive_client(self, coach: User, name: str) -> int:
        """A client inactive for 10 days; the evaluator raises and publishes their alert."""
        client = await self.practice.client(coach, name=name)
        await self.history.linked(coach, client, 30)
        await self.history.active(client, 10)
        await self.history.journal(client, 0)
        assert await run_evaluation(self.resources) == 1
        assert client.id is not None
        return client.id

    async def committed(self, coach: User, cause: str) -> Alert:
        """An alert committed but not published yet (written straight to the database; the
        test publishes it with `replay` when and as often as it likes)."""
        assert coach.id is not None
        row = alert_row(
            coach.id,
            None,
            AlertCategory.RESCHEDULE_REQUEST,
            AlertSeverity.WARNING,
            cause,
            "Reschedule request",
            cause,
            clock.now(),
        )
        async with self.resources.db.transaction() as session:
            alert = Alert(**row)
            session.add(alert)
            await session.flush()
        return alert


# The token watcher sweeps this often here (production: every second), so a socket whose token
# ended closes at once and the tests below see sweeps without waiting long for them.
TOKEN_CHECK_SECONDS = 0.05


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(token_check_seconds=TOKEN_CHECK_SECONDS)


def sweeps(statements: list[str]) -> int:
    """How many of `statements` are the token watcher's sweep (the query for ended tokens)."""
    return sum("revoked_at IS NOT NULL" in s for s in statements)


@pytest.fixture
def alerts(resources: Resources, practice: Practice, history: History) -> Alerts:
    return Alerts(resources, practice, history)


@PROTOCOLS
async def test_a_coach_receives_a_new_alert_live(
    app: Starlette, practice: Practice, alerts: Alerts, resources: Resources, protocol: str
) -> None:
    coach = await practice.coach()
    async with app_socket(app, protocol) as ws:
        assert (await ws.init(await practice.token(coach)))["type"] == "connection_ack"
        await ws.subscribe("1", SUBSCRIPTION)
        await subscribed(resources)
        client_id = await alerts.inactive_client(coach, "Ada")
        data = await ws.next_data()
    assert data["alertCreated"]["client"] == {"id": str(client_id), "name": "Ada"}
    assert data["alertCreated"]["message"] == "Ada has not been active for 10 days."


async def test_a_coach_receives_only_their_own_alerts(
    app: Starlette, practice: Practice, alerts: Alerts, resources: Resources
) -> None:
    mine, theirs = await practice.coach(), await practice.coach()
    async with app_socket(app) as ws:
        await ws.init(await practice.token(mine))
        await ws.subscribe("1", SUBSCRIPTION)
        await subscribed(resources)
        await alerts.inactive_client(theirs, "Not yours")
        own = await alerts.inactive_client(mine, "Yours")
        data = await ws.next_data()
        assert data["alertCreated"]["client"]["id"] == str(own)
        await ws.nothing()


async def test_after_id_sends_what_was_missed_oldest_first_then_live_ones_each_once(
    app: Starlette, practice: Practice, alerts: Alerts, resources: Resources
) -> None:
    coach = await practice.coach()
    seen = await alerts.committed(coach, "a")
    missed = [await alerts.committed(coach, c) for c in ("b", "c")]
    await replay(resources.realtime, [seen, *missed])  # nobody listens: gone
    async with app_socket(app) as ws:
        await ws.init(await practice.token(coach))
        await ws.subscribe("1", SUBSCRIPTION, {"after": str(seen.id)})
        got = [(await ws.next_data())["alertCreated"]["id"] for _ in missed]
        assert got == [str(a.id) for a in missed]
        await subscribed(resources)
        # Committed during the hand-over and published only after the catch-up read found it:
        # the late event must not send it twice.
        late = await alerts.committed(coach, "d")
        live = await alerts.committed(coach, "e")
        await replay(resources.realtime, [missed[1]])
        await replay(resources.realtime, [late])
        await replay(resources.realtime, [late, live])
        got = [(await ws.next_data())["alertCreated"]["id"] for _ in range(2)]
        assert got == [str(late.id), str(live.id)]
        await ws.nothing()


async def test_an_alert_committed_out_of_order_is_still_sent(
    app: Starlette, practice: Practice, alerts: Alerts, resources: Resources
) -> None:
    coach = await practice.coach()
    async with app_socket(app) as ws:
        await ws.init(await practice.token(coach))
        await ws.subscribe("1", SUBSCRIPTION)
        await subscribed(resources)
        first, second = await alerts.committed(coach, "x"), await alerts.committed(coach, "y")
        # The higher id is announced first (as when transactions commit out of id order).
        await replay(resources.realtime, [second])
        assert (await ws.next_data())["alertCreated"]["id"] == str(first.id)
        assert (await ws.next_data())["alertCreated"]["id"] == str(second.id)
        await replay(resources.realtime, [first])
        await ws.nothing()


@PROTOCOLS
async def test_an_after_id_of_another_coachs_alert_is_unknown(
    app: Starlette, practice: Practice, alerts: Alerts, protocol: str
) -> None:
    owner, intruder = await practice.coach(), await practice.coach()
    foreign = await alerts.committed(owner, "private")
    async with app_socket(app, protocol) as ws:
        await ws.init(await practice.token(intruder))
        await ws.subscribe("1", SUBSCRIPTION, {"after": str(foreign.id)})
        message = await ws.receive()
    assert message["type"] in ("next", "data", "error"), message
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert errors[0]["message"] == f"No alert with id {foreign.id}."
    assert isinstance(payload, list) or payload.get("data") is None


@PROTOCOLS
@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_a_socket_without_a_valid_token_is_closed_before_any_data(
    app: Starlette, protocol: str, token: str | None
) -> None:
    async with app_socket(app, protocol) as ws:
        await ws.ws.send_json(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {token}"} if token else {},
            }
        )
        if protocol == LEGACY_WS:
            assert (await ws.receive())["type"] == "connection_error"
        assert await ws.closed_with() == 4403


async def test_subscribing_before_connection_init_closes_with_4401(
    app: Starlette,
) -> None:
    async with app_socket(app) as ws:
        await ws.subscribe("1", SUBSCRIPTION)
        assert await ws.closed_with() == 4401


async def test_a_client_may_not_subscribe_to_alerts(app: Starlette, practice: Practice) -> None:
    async with app_socket(app) as ws:
        await ws.init(await practice.token(await practice.client()))
        await ws.subscribe("1", SUBSCRIPTION)
        message = await ws.receive()
    errors = (
        message["payload"] if isinstance(message["payload"], list) else message["payload"]["errors"]
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_more_subscriptions_than_the_limit_get_an_error(
    app: Starlette, practice: Practice, resources: Resources
) -> None:
    limit = resources.settings.max_subscriptions_per_connection
    async with app_socket(app) as ws:
        await ws.init(await practice.token(await practice.coach()))
        for i in range(limit):
            await ws.subscribe(str(i), SUBSCRIPTION)
        await subscribed(resources, limit)
        await ws.subscribe("one-too-many", SUBSCRIPTION)
        message = await ws.receive()
    assert message["type"] == "error" and message["id"] == "one-too-many"
    assert message["payload"][0]["message"] == "Subscription limit reached"
    assert resources.realtime.subscriber_count(ALERTS_CHANNEL) <= limit


@PROTOCOLS
async def test_the_socket_closes_with_4401_when_its_token_is_revoked(
    app: Starlette,
    gql: GraphQLClient,
    practice: Practice,
    resources: Resources,
    protocol: str,
) -> None:
    token = await practice.token(await practice.coach())
    async with app_socket(app, protocol) as ws:
        await ws.init(token)
        await ws.subscribe("1", SUBSCRIPTION)
        await subscribed(resources)
        assert await gql.data("mutation { logout }", token=token) == {"logout": True}
        assert await ws.closed_with(within=5.0) == 4401
    await until(lambda: resources.realtime.subscriber_count(ALERTS_CHANNEL) == 0)


async def test_the_socket_closes_with_4401_when_its_token_expires(
    app: Starlette,
    practice: Practice,
    resources: Resources,
    manual_clock: clock.ManualClock,
) -> None:
    token = await practice.token(await practice.coach())
    async with app_socket(app) as ws:
        await ws.init(token)
        await ws.subscribe("1", SUBSCRIPTION)
        await subscribed(resources)
        manual_clock.advance(resources.settings.token_ttl + timedelta(seconds=1))
        assert await ws.closed_with(within=5.0) == 4401


async def test_a_socket_with_a_live_token_stays_open(
    app: Starlette, practice: Practice, resources: Resources, alerts: Alerts
) -> None:
    coach = await practice.coach()
    async with app_socket(app) as ws:
        await ws.init(await practice.token(coach))
        await ws.subscribe("1", SUBSCRIPTION)
        await subscribed(resources)
        # Two sweeps of the token watcher pass with the token still live.
        with count_statements(resources.db) as statements:
            await until(lambda: sweeps(statements) >= 2)
        await alerts.inactive_client(coach, "Still here")
        assert (await ws.next_data())["alertCreated"]["client"]["name"] == "Still here"
