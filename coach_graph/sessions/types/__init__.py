"""GraphQL types and operations of sessions, one module per object: catalog (services,
calendars, weekly hours), session (a session and its reschedule request), stats, client (the
sessions fields of a Client), booking (the public booking page and self-booking), scheduling
(availability exceptions, booking rules), series (bookSeries, moves and cancellations with
their scope) and roots (Query, Mutation, Subscription)."""

from coach_graph.sessions.types.booking import BookingMutation, BookingQuery
from coach_graph.sessions.types.client import SessionClientFields
from coach_graph.sessions.types.roots import Mutation, Query, Subscription
from coach_graph.sessions.types.scheduling import SchedulingMutation, SchedulingQuery
from coach_graph.sessions.types.series import SeriesMutation

__all__ = [
    "BookingMutation",
    "BookingQuery",
    "Mutation",
    "Query",
    "SchedulingMutation",
    "SchedulingQuery",
    "SeriesMutation",
    "SessionClientFields",
    "Subscription",
]
