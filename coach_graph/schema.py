"""The one schema: every domain's Query, Mutation and Subscription merged, with the limits of
SPEC.md (depth, size, aliases) and error codes on every error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.printer import print_schema
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from coach_graph import logs
from coach_graph.accounts import types as accounts
from coach_graph.alerts import types as alerts
from coach_graph.clients import types as clients
from coach_graph.config import Settings
from coach_graph.documents import CheckedDocuments, limit_rules
from coach_graph.gql import SCALAR_OVERRIDES, code_error
from coach_graph.homework import types as homework
from coach_graph.journals import types as journals
from coach_graph.messages import types as messages
from coach_graph.notifications import types as notifications
from coach_graph.observability.metrics import count_error
from coach_graph.sessions import types as sessions
from coach_graph.surveys import types as surveys
from coach_graph.web.request_note import RecordOperationName

QUERIES: tuple[type, ...] = (
    accounts.Query,
    clients.Query,
    homework.Query,
    surveys.Query,
    sessions.Query,
    sessions.BookingQuery,
    alerts.Query,
    messages.Query,
    notifications.Query,
)
MUTATIONS: tuple[type, ...] = (
    accounts.Mutation,
    clients.Mutation,
    homework.Mutation,
    journals.Mutation,
    surveys.Mutation,
    sessions.Mutation,
    sessions.BookingMutation,
    alerts.Mutation,
    messages.Mutation,
    notifications.Mutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    alerts.Subscription,
    sessions.Subscription,
    messages.Subscription,
    notifications.Subscription,
)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
Subscription = merge_types("Subscription", SUBSCRIPTIONS) if SUBSCRIPTIONS else None


class CoachGraphSchema(strawberry.Schema):
    """The schema. Every error path of strawberry passes through `process_errors` before the
    result leaves: there each error gets its code, internal ones are masked and logged once with
    the request id, and a user's mistake is not logged (it is not an error of ours)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", None) or logs.request_id()
        for error in errors:
            code_error(error, request_id)
            count_error((error.extensions or {}).get("code"))


def build_schema(
    settings: Settings | None = None, observers: Sequence[Any] = ()
) -> strawberry.Schema:
    """The schema with the limits of `settings`; `observers` are extensions (classes or
    factories) that watch operations without changing them: metrics, tracing."""
    settings = settings or Settings()
    rules = limit_rules(settings.max_query_depth, settings.max_aliases)
    extensions: list[Any] = [
        lambda: CheckedDocuments(settings.max_query_tokens, rules, settings.query_cost_limit),
        RecordOperationName,
        *observers,
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return CoachGraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )


def export_sdl() -> str:
    """The SDL written to schema.graphql."""
    return print_schema(build_schema()) + "\n"
