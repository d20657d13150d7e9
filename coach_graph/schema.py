"""The one schema: every domain's Query, Mutation and Subscription merged, with the limits of
SPEC.md (depth, size, aliases) and error codes on every error."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.printer import print_schema
from strawberry.tools import merge_types

from coach_graph.accounts import types as accounts
from coach_graph.alerts import types as alerts
from coach_graph.clients import types as clients
from coach_graph.config import Settings
from coach_graph.gql import SCALAR_OVERRIDES, ErrorCodes

QUERIES: tuple[type, ...] = (accounts.Query, clients.Query, alerts.Query)
MUTATIONS: tuple[type, ...] = (accounts.Mutation, alerts.Mutation)
SUBSCRIPTIONS: tuple[type, ...] = (alerts.Subscription,)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
Subscription = merge_types("Subscription", SUBSCRIPTIONS) if SUBSCRIPTIONS else None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    extensions: list[Any] = [
        ErrorCodes,
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        # One parsed document shared by every subscription with the same text (a websocket
        # subscription keeps its document for as long as it lives).
        lambda: ParserCache(maxsize=256),
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )


def export_sdl() -> str:
    """The SDL written to schema.graphql."""
    return print_schema(build_schema()) + "\n"
