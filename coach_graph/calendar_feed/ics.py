"""A feed as an RFC 5545 file, built with `icalendar`: one VEVENT per session, made by the
mails' own `mail.calendar.session_event` (the same UID as the session's invitations, the join
link as LOCATION, times in UTC), no METHOD (a published calendar, not an invitation).

Building a VEVENT with `icalendar` costs a few hundred microseconds, so a coach's feed of
thousands of sessions would take a second each time a calendar program polls it. Each event's
text is kept in a small LRU keyed by everything the text is made of (the session's row as the
database driver returned it, whose view, the UID domain, the link template): a changed session
has a new key, so what is served is always what `session_event` would build now; only
unchanged events are reused.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

import icalendar

from coach_graph.calendar_feed.service import FeedContent
from coach_graph.mail.calendar import PRODID, Invitation, Party, session_event
from coach_graph.sessions.access import DELETED_CLIENT, room_link
from coach_graph.sessions.models import SessionStatus

CALENDAR_NAME = "Coaching sessions"
# How often calendar programs are asked to fetch the feed again.
REFRESH = "PT1H"
_END = b"END:VCALENDAR\r\n"
_MAX_EVENTS = 20_000
# Up to this many events are built on the event loop; more go to a thread.
_INLINE = 20


class EventCache:
    """The LRU of rendered VEVENTs (bytes), at most `size` of them."""

    def __init__(self, size: int = _MAX_EVENTS) -> None:
        self.size = size
        self._events: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        found = self._events.get(key)
        if found is not None:
            self._events.move_to_end(key)
        return found

    def put(self, key: Hashable, value: bytes) -> None:
        self._events[key] = value
        if len(self._events) > self.size:
            self._events.popitem(last=False)


EVENTS = EventCache()


def _header(name: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", REFRESH)
    ical: bytes = cal.to_ical()
    assert ical.endswith(_END)
    return ical[: -len(_END)]


_HEADER = _header(CALENDAR_NAME)


def _event(
    row: Sequence[Any], content: FeedContent, domain: str, meeting_url_template: str
) -> bytes:
    (session_id, starts_at, ends_at, status, sequence, stamp, notes, room, service,
     other_name, other_email) = row  # fmt: skip
    owner = Party(content.owner_name, content.owner_email)
    other = Party(other_name or other_email.split("@")[0], other_email) if other_email else None
    if content.is_coach:
        organizer, attendee = owner, other
        with_whom = other.name if other else DELETED_CLIENT
    else:
        assert other is not None  # a client's sessions all have their coach
        organizer, attendee = other, owner
        with_whom = other.name
    invitation = Invitation(
        session_id=session_id,
        summary=f"{service} with {with_whom}",
        starts_at=starts_at,
        ends_at=ends_at,
        sequence=sequence,
        organizer=organizer,
        attendee=attendee,
        description=notes,
        location=room_link(room, meeting_url_template),
    )
    tentative = status == SessionStatus.PENDING.value
    event = session_event(
        invitation, domain=domain, stamp=stamp, status="TENTATIVE" if tentative else "CONFIRMED"
    )
    ical: bytes = event.to_ical()
    return ical


async def render(
    content: FeedContent, *, domain: str, meeting_url_template: str, cache: EventCache = EVENTS
) -> bytes:
    """The feed's iCalendar file (UTF-8, CRLF lines). Events not in the cache are built off
    the event loop when there are many (a first fetch of a large feed)."""
    view = (domain, meeting_url_template, content.is_coach, content.owner_name,
            content.owner_email)  # fmt: skip
    keys = [(view, tuple(row)) for row in content.sessions]
    events = [cache.get(key) for key in keys]
    missing = [i for i, event in enumerate(events) if event is None]
    if missing:

        def build() -> list[bytes]:
            shape = content.shape
            return [
                _event(shape(content.sessions[i]), content, domain, meeting_url_template)
                for i in missing
            ]

        built = await asyncio.to_thread(build) if len(missing) > _INLINE else build()
        for i, event in zip(missing, built, strict=True):
            events[i] = event
            cache.put(keys[i], event)
    return b"".join([_HEADER, *(e for e in events if e is not None), _END])


def etag(body: bytes) -> str:
    """A strong entity tag of the feed's bytes (the same in every worker)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
