"""Fixtures of the waitlist tests: the sessions tests' scene (a coach in UTC with their
default services and one granted client), a real uvicorn serving the app, and GraphQL
documents of the waitlist."""

from __future__ import annotations

from tests.mail.conftest import smtp_server  # noqa: F401  (a real SMTP server)
from tests.sessions.conftest import scene  # noqa: F401  (the fixture, shared)
from tests.sessions.test_self_booking_race import server  # noqa: F401  (a real uvicorn)

JOIN = """mutation($c: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) {
  joinWaitlist(coachId: $c, serviceId: $s, from: $f, to: $t) {
    id from to createdAt clientName coach { id name } service { id durationMinutes }
  }
}"""
LEAVE = "mutation($id: ID!) { leaveWaitlist(id: $id) }"
WAITLIST = "{ waitlist { id from to clientName service { durationMinutes } coach { id } } }"
CANCEL = "mutation($id: ID!) { cancelSession(id: $id) { id status } }"
RESCHEDULE = "mutation($id: ID!, $t: DateTime!) { rescheduleSession(id: $id, startsAt: $t) { id } }"
NOTIFICATIONS = "{ notifications { edges { node { kind title body session { id } } } } }"
