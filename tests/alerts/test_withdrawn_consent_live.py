"""Withdrawing consent hides the client's data from live subscriptions at once (SPEC "Clients
and consent"). Decision: an alert whose client withdrew consent between its commit and its
delivery still arrives on `alertCreated` (the feed stays gapless, so `afterId` resumption keeps
working), but reloaded through the access rules: RESOLVED, with `client` null."""

from __future__ import annotations

from starlette.applications import Starlette

from coach_graph.alerts.models import AlertCategory
from coach_graph.alerts.store import ALERTS_CHANNEL, raise_alert, resolve_for_client
from coach_graph.clients.access import linked
from coach_graph.clients.models import ConsentStatus
from coach_graph.context import Resources
from tests.conftest import Practice
from tests.ws import app_socket, until

SUBSCRIPTION = "subscription { alertCreated { id status message client { id name } } }"


async def test_an_alert_of_a_client_who_withdrew_consent_arrives_without_the_client(
    app: Starlette, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    kept = await practice.client(coach, "Kept")
    gone = await practice.client(coach, "Gone")
    assert coach.id and kept.id and gone.id
    async with app_socket(app) as ws:
        await ws.init(await practice.token(coach))
        await ws.subscribe("1", SUBSCRIPTION)
        await until(lambda: resources.realtime.subscriber_count(ALERTS_CHANNEL) >= 1)
        # The alert is stored, and before its delivery reloads it the client withdraws consent
        # (one commit here, so the order is certain; the event goes out after it).
        async with resources.db.transaction() as session:
            alert = await raise_alert(
                session, coach_id=coach.id, client_id=gone.id,
                category=AlertCategory.INACTIVITY, cause="since-1", title="Inactive client",
                message="A client has not been active for 10 days.",
            )  # fmt: skip
            link = await session.scalar(linked(coach.id, gone.id))
            assert alert is not None and link is not None
            link.consent = ConsentStatus.DECLINED.value
            await resolve_for_client(session, coach.id, gone.id)
        delivered = (await ws.next_data())["alertCreated"]
        assert delivered["id"] == str(alert.id)
        assert (delivered["status"], delivered["client"]) == ("RESOLVED", None)
        # A client still sharing their data arrives with them, on the same socket.
        async with resources.db.transaction() as session:
            other = await raise_alert(
                session, coach_id=coach.id, client_id=kept.id,
                category=AlertCategory.INACTIVITY, cause="since-2", title="Inactive client",
                message="A client has not been active for 10 days.",
            )  # fmt: skip
        assert other is not None
        delivered = (await ws.next_data())["alertCreated"]
        assert (delivered["id"], delivered["client"]) == (
            str(other.id),
            {"id": str(kept.id), "name": "Kept"},
        )
