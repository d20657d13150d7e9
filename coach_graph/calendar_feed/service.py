"""Calendar feeds (SPEC.md "Sessions", Calendar feed): a coach or a client creates a private
subscription URL (`createCalendarFeed`; creating it again replaces the old one, which stops
working at once), deletes it, and calendar programs fetch it with no other credential. The secret
holds 256 random bits and only its SHA-256 is stored. The feed lists the person's non-cancelled
sessions from 90 days back to 365 days ahead."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.models import Role, User
from coach_graph.auth import Viewer, require_viewer
from coach_graph.calendar_feed.models import CalendarFeed
from coach_graph.db import Database
from coach_graph.prepared import Row, rows, table
from coach_graph.sessions.models import CoachingService, CoachingSession, SessionStatus

WINDOW_BACK = timedelta(days=90)
WINDOW_AHEAD = timedelta(days=365)
HINT_LENGTH = 4
# Secrets are `secrets.token_urlsafe(32)` (43 characters); anything much longer is no secret.
MAX_SECRET_LENGTH = 128


def secret_hash(secret: str) -> str:
    """The stored form of a feed's secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewFeed:
    """A feed just created: its secret, shown this once."""

    feed: CalendarFeed
    secret: str


async def create_calendar_feed(db: Database, viewer: Viewer | None) -> NewFeed:
    """A new secret URL for the viewer's sessions; their previous one stops working."""
    viewer = require_viewer(viewer)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        owner_id=viewer.id,
        secret_hash=secret_hash(secret),
        hint=secret[:HINT_LENGTH],
        created_at=clock.now(),
    )
    values = feed.model_dump()
    async with db.transaction() as session:
        insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        # One row per person, replaced in one statement: concurrent creations never collide
        # (the last one's secret is the live one).
        await session.execute(
            insert(CalendarFeed)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["owner_id"],
                set_={k: v for k, v in values.items() if k != "owner_id"},
            )
        )
    return NewFeed(feed, secret)


async def delete_calendar_feed(db: Database, viewer: Viewer | None) -> bool:
    """End the viewer's feed (its URL answers 404 from now on); False when they had none."""
    viewer = require_viewer(viewer)
    async with db.transaction() as session:
        result = await session.execute(
            sa.delete(CalendarFeed).where(col(CalendarFeed.owner_id) == viewer.id)
        )
    return bool(getattr(result, "rowcount", 0))


async def calendar_feed(db: Database, viewer: Viewer | None) -> CalendarFeed | None:
    """The viewer's feed, if any."""
    viewer = require_viewer(viewer)
    async with db.read() as session:
        return await session.get(CalendarFeed, viewer.id)


# ---------- what a feed lists

_sessions = table(CoachingSession)
_services = table(CoachingService)
_users = table(User)
_other = _users.alias("other")
_feeds = table(CalendarFeed)
# Per session: id, start, end, status, SEQUENCE, DTSTAMP (when it got its time), customer
# notes, meeting room, service name, and the other person's name and e-mail (for a coach the
# client, null once deleted; for a client the coach).
_COLUMNS: tuple[sa.ColumnElement[Any], ...] = (
    _sessions.c.id,
    _sessions.c.starts_at,
    _sessions.c.ends_at,
    _sessions.c.status,
    _sessions.c.invite_sequence,
    _sessions.c.scheduled_at,
    _sessions.c.customer_notes,
    _sessions.c.meeting_room,
    _services.c.name,
    _other.c.name,
    _other.c.email,
)
_IN_WINDOW = sa.and_(
    _sessions.c.status != SessionStatus.CANCELLED.value,
    _sessions.c.starts_at >= sa.bindparam("start"),
    _sessions.c.starts_at < sa.bindparam("end"),
)
_WITH_SERVICE = _sessions.join(_services, _services.c.id == _sessions.c.service_id)
_ORDER = (_sessions.c.starts_at, _sessions.c.id)
_COACH_SESSIONS = rows(
    sa.select(*_COLUMNS)
    .select_from(_WITH_SERVICE.outerjoin(_other, _other.c.id == _sessions.c.client_id))
    .where(_sessions.c.coach_id == sa.bindparam("owner"), _IN_WINDOW)
    .order_by(*_ORDER)
)
_CLIENT_SESSIONS = rows(
    sa.select(*_COLUMNS)
    .select_from(_WITH_SERVICE.join(_other, _other.c.id == _sessions.c.coach_id))
    .where(_sessions.c.client_id == sa.bindparam("owner"), _IN_WINDOW)
    .order_by(*_ORDER)
)
_FEED_OWNER = rows(
    sa.select(_users.c.id, _users.c.role, _users.c.name, _users.c.email)
    .select_from(_users.join(_feeds, _feeds.c.owner_id == _users.c.id))
    .where(_feeds.c.secret_hash == sa.bindparam("hash"))
)


def _as_read(row: Row) -> Row:
    return row


@dataclass(frozen=True)
class FeedContent:
    """Whose feed it is and the rows of its sessions (see `_COLUMNS`) as the driver returned
    them: `shape` makes one a row of Python values (UTC datetimes). Raw rows are what the
    rendered events are cached by (ics.py): shaping every row would cost more than the read."""

    owner_name: str
    owner_email: str
    is_coach: bool
    sessions: list[Row]
    shape: Callable[[Row], Row] = _as_read


async def feed_content(db: Database, secret: str) -> FeedContent | None:
    """The feed a secret opens, None for an unknown or replaced one."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    owner = await _FEED_OWNER.first(db, hash=secret_hash(secret))
    if owner is None:
        return None
    owner_id, role, name, email = owner
    start, end = window(clock.now())
    is_coach = role == Role.COACH.value
    read = _COACH_SESSIONS if is_coach else _CLIENT_SESSIONS
    found, shape = await read.unshaped(db, owner=owner_id, start=start, end=end)
    return FeedContent(name or email.split("@")[0], email, is_coach, found, shape)


def window(now: datetime) -> tuple[datetime, datetime]:
    """The feed's window around `now`: 90 days back, 365 days ahead."""
    return now - WINDOW_BACK, now + WINDOW_AHEAD
