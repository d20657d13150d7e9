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
from coach_graph.audit import types as audit
from coach_graph.calendar_feed import types as calendar_feed
from coach_graph.clients import types as clients
from coach_graph.config import Settings
from coach_graph.documents import CheckedDocuments, OperationObserver, limit_rules
from coach_graph.gql import SCALAR_OVERRIDES, code_error
from coach_graph.homework import types as homework
from coach_graph.journals import types as journals
from coach_graph.messages import types as messages
from coach_graph.notifications import types as notifications
from coach_graph.observability.metrics import count_error
from coach_graph.patches.graphql_core import CompiledQueryExecutor
from coach_graph.patches.strawberry import LeanExtensionsSchema
from coach_graph.patches.strawberry_arguments import convert_arguments_once_planned
from coach_graph.patches.strawberry_streams import close_streams_with_aclosing
from coach_graph.sessions import types as sessions
from coach_graph.surveys import types as surveys
from coach_graph.waitlist import types as waitlist
from coach_graph.webhooks import types as webhooks

QUERIES: tuple[type, ...] = (
    accounts.Query,
    clients.Query,
    homework.Query,
    surveys.Query,
    sessions.Query,
    sessions.BookingQuery,
    sessions.SchedulingQuery,
    alerts.Query,
    messages.Query,
    notifications.Query,
    waitlist.Query,
    calendar_feed.Query,
    audit.Query,
    webhooks.Query,
)
MUTATIONS: tuple[type, ...] = (
    accounts.Mutation,
    clients.Mutation,
    homework.Mutation,
    journals.Mutation,
    surveys.Mutation,
    sessions.Mutation,
    sessions.BookingMutation,
    sessions.SchedulingMutation,
    sessions.SeriesMutation,
    alerts.Mutation,
    messages.Mutation,
    notifications.Mutation,
    waitlist.Mutation,
    calendar_feed.Mutation,
    webhooks.Mutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    alerts.Subscription,
    sessions.Subscription,
    messages.Subscription,
    notifications.Subscription,
)


def merged(name: str, parts: tuple[type, ...], description: str) -> type:
    """One root type from each domain's part, described (merge_types warns of a field two
    domains define, and describes nothing)."""
    return strawberry.type(type(name, (merge_types(name, parts),), {}), description=description)


Query = merged(
    "Query",
    QUERIES,
    "What the viewer may read: a coach their clients, sessions and alerts; a client their "
    "own coaches, sessions and inbox. Send `Authorization: Bearer <token>` (from `login`).",
)
Mutation = merged(
    "Mutation",
    MUTATIONS,
    "Every change, one transaction each: a refused mutation writes nothing.",
)
Subscription = merged(
    "Subscription",
    SUBSCRIPTIONS,
    "What is pushed live over a websocket (graphql-transport-ws or graphql-ws); the token "
    'goes in the `connection_init` payload as {"authorization": "Bearer <token>"}.',
)


class CoachGraphSchema(LeanExtensionsSchema):
    """The schema (its extensions run without set-up for a phase nobody hooks:
    patches/strawberry.py). Every error path of strawberry passes through `process_errors`
    before the result leaves: there each error gets its code, internal ones are masked and
    logged once with the request id, and a user's mistake is not logged (it is not an error of
    ours)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", None) or logs.request_id()
        for error in errors:
            code_error(error, request_id)
            count_error((error.extensions or {}).get("code"))


def build_schema(
    settings: Settings | None = None,
    observers: Sequence[Any] = (),
    operation_observers: Sequence[OperationObserver] = (),
) -> strawberry.Schema:
    """The schema with the limits of `settings`; `observers` are extensions (classes or
    factories) that watch operations without changing them (tracing); `operation_observers`
    are told of each finished operation without an extension of their own (metrics)."""
    settings = settings or Settings()
    rules = limit_rules(settings.max_query_depth, settings.max_aliases)
    watchers = tuple(operation_observers)
    extensions: list[Any] = [
        lambda: CheckedDocuments(
            settings.max_query_tokens, rules, settings.query_cost_limit, watchers
        ),
        *observers,
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    # Subscriptions' result streams closed by a slotted object, not a generator each.
    close_streams_with_aclosing()
    # Resolvers' arguments converted from a plan per field, not worked out at each call.
    convert_arguments_once_planned()
    return CoachGraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        # Queries run through compiled plans (coach_graph/execution/), graphql-core the rest.
        execution_context_class=CompiledQueryExecutor.for_schema(settings.execution_check)
        if settings.compiled_queries
        else None,
    )


def export_sdl() -> str:
    """The SDL written to schema.graphql."""
    return print_schema(build_schema()) + "\n"
