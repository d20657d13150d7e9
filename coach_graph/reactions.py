"""The composition root of domain events: every subscription of coach_graph, in one place.

A domain records its events (coach_graph/events.py); the domains that react to them offer
handlers in their `reactions.py`; `wire()` subscribes them. The app, the CLI and the tests call
it once at start (it is idempotent). Handlers of one event run in the order written here."""

from __future__ import annotations

from coach_graph import events
from coach_graph.accounts.events import UserAdded
from coach_graph.alerts import reactions as alerts
from coach_graph.alerts.events import AlertRaised
from coach_graph.alerts.rules import inactivity_rule_of
from coach_graph.audit import reactions as audit
from coach_graph.clients import inactivity
from coach_graph.clients import reactions as clients
from coach_graph.clients.events import ClientRemoved, ConsentChanged
from coach_graph.homework import reactions as homework
from coach_graph.homework.events import HomeworkAssigned, HomeworkCompleted
from coach_graph.journals.events import JournalEntryWritten
from coach_graph.messages.events import MessageSent
from coach_graph.sessions import reactions as sessions
from coach_graph.sessions.events import (
    ExtraHoursAdded,
    RescheduleRequestChanged,
    SessionBooked,
    SessionCancelled,
    SessionRescheduled,
    SessionStatusChanged,
    TimeOffRemoved,
)
from coach_graph.waitlist import reactions as waitlist
from coach_graph.webhooks import reactions as webhooks


def wire() -> None:
    """Subscribe every domain's reactions (a second call changes nothing), and plug in what a
    lower domain reads from a higher one."""
    inactivity.read_rule_with(inactivity_rule_of)
    events.subscribe(UserAdded, sessions.user_added)
    events.subscribe(UserAdded, clients.user_added)
    events.subscribe(JournalEntryWritten, alerts.journal_written)
    events.subscribe(HomeworkAssigned, alerts.homework_assigned)
    events.subscribe(HomeworkCompleted, alerts.homework_completed)
    events.subscribe(RescheduleRequestChanged, alerts.reschedule_request_changed)
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
    # Webhooks last: they tell the outside of a change once every domain has reacted to it.
    events.subscribe(SessionBooked, webhooks.session_booked)
    events.subscribe(SessionRescheduled, webhooks.session_rescheduled)
    events.subscribe(SessionCancelled, webhooks.session_cancelled)
    events.subscribe(SessionStatusChanged, webhooks.session_status_changed)
    events.subscribe(MessageSent, webhooks.message_sent)
    events.subscribe(AlertRaised, webhooks.alert_raised)
    events.subscribe(ConsentChanged, webhooks.consent_changed)
    events.mark_wired()
