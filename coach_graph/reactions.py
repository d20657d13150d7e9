"""The composition root of domain events: every subscription of coach_graph, in one place.

A domain records its events (coach_graph/events.py); the domains that react to them offer
handlers in their `reactions.py`; `wire()` subscribes them. The app, the CLI and the tests call
it once at start (it is idempotent). Handlers of one event run in the order written here."""

from __future__ import annotations

from coach_graph import events
from coach_graph.alerts import reactions as alerts
from coach_graph.audit import reactions as audit
from coach_graph.clients.events import ClientRemoved, ConsentChanged
from coach_graph.homework import reactions as homework
from coach_graph.journals.events import JournalEntryWritten
from coach_graph.sessions import reactions as sessions
from coach_graph.sessions.events import (
    ExtraHoursAdded,
    SessionBooked,
    SessionCancelled,
    SessionRescheduled,
    TimeOffRemoved,
)
from coach_graph.waitlist import reactions as waitlist


def wire() -> None:
    """Subscribe every domain's reactions (a second call changes nothing)."""
    events.subscribe(JournalEntryWritten, alerts.journal_written)
    events.subscribe(ConsentChanged, alerts.consent_changed)
    events.subscribe(ConsentChanged, audit.consent_changed)
    events.subscribe(ClientRemoved, homework.client_removed)
    events.subscribe(ClientRemoved, sessions.client_removed)
    events.subscribe(ClientRemoved, alerts.client_removed)
    events.subscribe(ClientRemoved, waitlist.client_removed)
    events.subscribe(SessionBooked, waitlist.session_booked)
    events.subscribe(SessionCancelled, waitlist.session_cancelled)
    events.subscribe(SessionRescheduled, waitlist.session_rescheduled)
    events.subscribe(TimeOffRemoved, waitlist.time_off_removed)
    events.subscribe(ExtraHoursAdded, waitlist.extra_hours_added)
