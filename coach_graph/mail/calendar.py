"""The iCalendar (RFC 5545) part of a mail about a session, built with `icalendar`.

One UID per session for its whole life, so a calendar program updates the one event: a
REQUEST with a higher SEQUENCE moves it, a CANCEL removes it. Times are written in UTC.
`session_event` builds the one VEVENT of a session; the calendar feeds (calendar_feed/) list
the same events, so a session mailed and subscribed to is one event in a calendar program.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import icalendar

PRODID = "-//coach_graph//sessions//EN"


class Method(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Party:
    """The coach (organizer) or the client (attendee) of a session."""

    name: str
    email: str


@dataclass(frozen=True)
class Invitation:
    """What the calendar part says about one session."""

    session_id: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    sequence: int
    organizer: Party
    attendee: Party | None  # None: the client was deleted (a coach's feed still lists it)
    description: str | None = None  # the customer notes (never private notes)
    location: str | None = None  # the session's join link


def session_uid(session_id: int, domain: str) -> str:
    """The session's stable UID, e.g. `session-12@example.com`."""
    return f"session-{session_id}@{domain}"


def _address(party: Party, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{party.email}")
    address.params["CN"] = party.name
    for key, value in params.items():
        address.params[key] = value
    return address


def session_event(
    invitation: Invitation, *, domain: str, stamp: datetime, status: str = "CONFIRMED"
) -> icalendar.Event:
    """The VEVENT of one session: its stable UID, SEQUENCE, times in UTC, the coach as
    organizer and the client as attendee, customer notes as DESCRIPTION, the join link as
    LOCATION, and `status` (CONFIRMED, TENTATIVE or CANCELLED)."""
    event = icalendar.Event()
    event.add("uid", session_uid(invitation.session_id, domain))
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", invitation.starts_at.astimezone(UTC))
    event.add("dtend", invitation.ends_at.astimezone(UTC))
    event.add("summary", invitation.summary)
    event.add("status", status)
    event.add("organizer", _address(invitation.organizer))
    if invitation.attendee is not None:
        event.add(
            "attendee",
            _address(
                invitation.attendee, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"
            ),
        )
    if invitation.description:
        event.add("description", invitation.description)
    if invitation.location:
        event.add("location", invitation.location)
    return event


def calendar_part(invitation: Invitation, method: Method, *, domain: str, stamp: datetime) -> str:
    """The text/calendar body: one VEVENT, METHOD REQUEST (booked, moved, reminded) or CANCEL."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method.value)
    status = "CANCELLED" if method == Method.CANCEL else "CONFIRMED"
    cal.add_component(session_event(invitation, domain=domain, stamp=stamp, status=status))
    ical: bytes = cal.to_ical()
    return ical.decode("utf-8")
