"""The shared nodes of the graph, composed on top of the domains.

A client, a coach or a notification is shown with fields from several domains. Each domain
offers the fields it adds as a strawberry type of its own (`JournalClientFields`, ...), and the
node is composed here from those parts, so no domain imports a domain above it to describe a
node. A domain below this module names a node `Annotated["Client", strawberry.lazy(gql.GRAPH)]`
and builds one with `gql.composed("Client").of(...)` (clients.types.client_node).

To add fields to a node: write them in your domain as a `@strawberry.type` class holding the
same private state as the node's other parts (Client: `view: strawberry.Private[ClientView]`;
Coach: `user_id`; Notification: `session_id`), with a description on every field, and add the
class to the node's bases below: the schema shows the fields in the order of the bases, so a
new part goes last to add its fields at the end (schema.graphql changes only by those).
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from coach_graph.accounts.types import CoachFields
from coach_graph.clients.access import ClientView
from coach_graph.clients.types import ClientFields
from coach_graph.gql import Info, requested_node_fields
from coach_graph.homework.types import HomeworkClientFields
from coach_graph.journals.types import JournalClientFields
from coach_graph.notifications.types import NotificationFields
from coach_graph.sessions.types.client import SessionClientFields
from coach_graph.sessions.types.coach import SessionCoachFields
from coach_graph.sessions.types.notification import SessionNotificationFields
from coach_graph.surveys.types import SurveyClientFields
from coach_graph.timeline.types import TimelineClientFields


@strawberry.type(description="A client, as the viewing coach (or the client themself) sees them.")
class Client(
    ClientFields,
    JournalClientFields,
    HomeworkClientFields,
    SurveyClientFields,
    TimelineClientFields,
    SessionClientFields,
):
    @classmethod
    async def prime_page(cls, info: Info, views: Sequence[ClientView]) -> None:
        """A page of clients (My Clients): the per-row columns the query selects, loaded for
        the whole page at once by the domains that own them."""
        asked = requested_node_fields(info)
        await JournalClientFields.prime_columns(info, views, asked)
        await HomeworkClientFields.prime_columns(info, views, asked)


@strawberry.type(description="A coach as clients see them: name, time zone, bookable services.")
class Coach(CoachFields, SessionCoachFields):
    pass


@strawberry.type(description="Something the product told the viewer (their inbox).")
class Notification(NotificationFields, SessionNotificationFields):
    pass
