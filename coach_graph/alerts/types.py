"""GraphQL types and operations for alerts, alert settings, notification stats and the live
`alertCreated` feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.alerts import feed, rules, service
from coach_graph.alerts.models import AlertCategory, AlertSeverity, AlertStatus
from coach_graph.alerts.service import AlertView
from coach_graph.auth import require_coach
from coach_graph.clients.types import ClientNode, client_node
from coach_graph.feed import delivering
from coach_graph.gql import After, Connection, Info, PageSize, enum, parse_id, parse_optional_id

enum(
    AlertCategory,
    "What an alert is about.",
    {
        AlertCategory.INACTIVITY: "The client has been inactive past the inactivity threshold.",
        AlertCategory.HOMEWORK: "Homework is past its expiry by the homework threshold.",
        AlertCategory.JOURNAL: "No journal entry from the client within the journal threshold.",
        AlertCategory.RESCHEDULE_REQUEST: "The client asks to move a session; answer it.",
    },
)
enum(
    AlertSeverity,
    "How urgent an alert is.",
    {
        AlertSeverity.INFO: "Worth a look (journal alerts).",
        AlertSeverity.WARNING: "Needs attention soon (homework, reschedule requests, inactivity).",
        AlertSeverity.CRITICAL: "Inactive for twice the inactivity threshold or longer.",
    },
)
enum(
    AlertStatus,
    "Where an alert stands.",
    {
        AlertStatus.OPEN: "Raised and not yet dismissed or resolved; the default list shows these.",
        AlertStatus.DISMISSED: "The coach dismissed it.",
        AlertStatus.RESOLVED: "Its cause ended (see `resolvedAt`).",
    },
)


@strawberry.type(description="An alert for the coach about one of their clients.")
class Alert:
    id: strawberry.ID = strawberry.field(
        description="The alert's id (`afterId` of `alertCreated`)."
    )
    title: str = strawberry.field(description="A headline naming the client.")
    category: AlertCategory = strawberry.field(description="What the alert is about.")
    severity: AlertSeverity = strawberry.field(description="How urgent it is.")
    message: str = strawberry.field(description="What happened, in a sentence.")
    created_at: datetime = strawberry.field(description="When the alert was raised.")
    dismissed_at: datetime | None = strawberry.field(
        description="When the coach dismissed it; null while it is open."
    )
    status: AlertStatus = strawberry.field(description="Open, dismissed or resolved.")
    resolved_at: datetime | None = strawberry.field(description="When its cause ended.")
    client: ClientNode | None = strawberry.field(
        description="The client, or null once they are deleted or no longer visible to the coach."
    )

    @classmethod
    def of(cls, view: AlertView) -> Alert:
        a = view.alert
        return cls(
            id=strawberry.ID(str(a.id)),
            title=a.title,
            category=AlertCategory(a.category),
            severity=AlertSeverity(a.severity),
            message=a.message,
            created_at=a.created_at,
            dismissed_at=a.dismissed_at,
            status=a.status,
            resolved_at=a.resolved_at,
            client=client_node(view.client) if view.client else None,
        )


# The alert of the last view delivered to every subscriber of its scope (`delivering`).
_last_shared: tuple[AlertView, Alert] | None = None


def _shared_alert(view: AlertView) -> Alert:
    """`Alert.of(view)`, made once for all the subscribers that deliver the very same view (one
    event of a shared read, coach_graph/feed.py `delivering`), not once per socket."""
    global _last_shared
    if delivering.get() is not view:
        return Alert.of(view)
    last = _last_shared
    if last is not None and last[0] is view:
        return last[1]
    alert = Alert.of(view)
    _last_shared = (view, alert)
    return alert


@strawberry.type(description="One alert rule: on or off, and its threshold in whole days.")
class AlertRule:
    enabled: bool = strawberry.field(description="Whether the rule raises alerts and counts.")
    days: int = strawberry.field(description="Threshold in whole days, from 1 to 365.")

    @classmethod
    def of(cls, rule: rules.Rule) -> AlertRule:
        return cls(enabled=rule.enabled, days=rule.days)


@strawberry.type(description="The coach's alert rules (defaults: 7, 1 and 7 days, all enabled).")
class AlertSettings:
    inactivity: AlertRule = strawberry.field(description="Days without any activity.")
    homework: AlertRule = strawberry.field(description="Days past a homework's expiry.")
    journal: AlertRule = strawberry.field(description="Days without a journal entry.")

    @classmethod
    def of(cls, saved: rules.AlertRules) -> AlertSettings:
        return cls(
            inactivity=AlertRule.of(saved.inactivity),
            homework=AlertRule.of(saved.homework),
            journal=AlertRule.of(saved.journal),
        )


@strawberry.input(description="One alert rule to save.")
class AlertRuleInput:
    enabled: bool = strawberry.field(description="Whether the rule raises alerts and counts.")
    days: int = strawberry.field(description="Whole days from 1 to 365.")

    def rule(self) -> rules.Rule:
        return rules.Rule(enabled=self.enabled, days=self.days)


@strawberry.input(description="The rules to save; a rule left out keeps its current value.")
class AlertSettingsInput:
    inactivity: AlertRuleInput | None = strawberry.field(
        default=None, description="Days without any activity."
    )
    homework: AlertRuleInput | None = strawberry.field(
        default=None, description="Days past a homework's expiry."
    )
    journal: AlertRuleInput | None = strawberry.field(
        default=None, description="Days without a journal entry."
    )


@strawberry.type(description="The five counts of the Notifications page (GRANTED clients only).")
class NotificationStats:
    needs_attention: int = strawberry.field(
        description="Clients inactive for longer than the inactivity threshold (0 when disabled)."
    )
    overdue_homework: int = strawberry.field(
        description="Assignments past expiry by at least the homework threshold, not completed."
    )
    inactive_clients: int = strawberry.field(
        description="Clients with no activity within the inactivity threshold."
    )
    journal_inactive: int = strawberry.field(
        description="Clients with no journal entry within the journal threshold."
    )
    active_this_week: int = strawberry.field(description="Clients active in the last 7 days.")


@strawberry.type
class Query:
    @strawberry.field(description="The coach's alert rules.")
    async def alert_settings(self, info: Info) -> AlertSettings:
        coach = require_coach(info.context.viewer)
        return AlertSettings.of(await service.alert_settings(info.context.db, coach.id))

    @strawberry.field(description="The coach's alerts, newest first; dismissed ones on request.")
    async def alerts(
        self,
        info: Info,
        include_dismissed: Annotated[
            bool | None,
            strawberry.argument(description="Also list dismissed and resolved alerts."),
        ] = False,
        first: PageSize = 50,
        after: After = None,
    ) -> Connection[Alert]:
        page = await service.list_alerts(
            info.context.db, info.context.viewer, bool(include_dismissed), first, after
        )
        return Connection.of(page, Alert.of)

    @strawberry.field(description="The counts of the Notifications page's stats grid.")
    async def notification_stats(self, info: Info) -> NotificationStats:
        stats = await service.notification_stats(info.context.db, info.context.viewer)
        return NotificationStats(
            needs_attention=stats.needs_attention,
            overdue_homework=stats.overdue_homework,
            inactive_clients=stats.inactive_clients,
            journal_inactive=stats.journal_inactive,
            active_this_week=stats.active_this_week,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Dismiss one of the coach's alerts (idempotent).")
    async def dismiss_alert(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The alert.")],
    ) -> Alert:
        view = await service.dismiss_alert(
            info.context.db, info.context.viewer, parse_id(id, "alert")
        )
        return Alert.of(view)

    @strawberry.mutation(
        description="Save the coach's alert rules; the clients are re-evaluated at once."
    )
    async def update_alert_settings(
        self,
        info: Info,
        input: Annotated[
            AlertSettingsInput, strawberry.argument(description="The rules to change.")
        ],
    ) -> AlertSettings:
        saved = await service.update_alert_settings(
            info.context.db,
            info.context.viewer,
            inactivity=input.inactivity.rule() if input.inactivity else None,
            homework=input.homework.rule() if input.homework else None,
            journal=input.journal.rule() if input.journal else None,
        )
        return AlertSettings.of(saved)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The viewer coach's new alerts. With `afterId`, the alerts created after "
        "that one are sent first (oldest first), then live ones, with no gap and no duplicate."
    )
    def alert_created(
        self,
        info: Info,
        after_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The last alert the dashboard saw, after a reconnect."),
        ] = None,
    ) -> AsyncGenerator[Alert, None]:
        context = info.context
        coach = require_coach(context.viewer)
        after = parse_optional_id(after_id, "alert")

        def deliver(view: AlertView) -> Alert:
            # The connection lives long: reload anything a Client field loads per event.
            context.fresh_loaders()
            return _shared_alert(view)

        return feed.follow(context.db, context.resources.realtime, coach, after, deliver)

    @strawberry.subscription(
        description="The viewer coach's alerts whose status changed (dismissed or resolved), "
        "as they change."
    )
    def alert_changed(self, info: Info) -> AsyncGenerator[Alert, None]:
        context = info.context
        coach = require_coach(context.viewer)

        def deliver(view: AlertView) -> Alert:
            context.fresh_loaders()
            return Alert.of(view)

        return feed.follow_changes(context.db, context.resources.realtime, coach, deliver)
