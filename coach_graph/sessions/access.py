"""Who sees and acts on which session: a coach their own with every linked client whatever the
consent (the scheduling rule of `clients.access`) and with deleted ones, a client theirs; private
notes are the session's coach's alone; when a call can be joined."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock
from coach_graph.auth import Viewer, require_viewer
from coach_graph.clients.access import linked_clients
from coach_graph.db import Database
from coach_graph.errors import require_row
from coach_graph.sessions.models import CoachingSession
from coach_graph.sessions.status import LIVE

DELETED_CLIENT = "Deleted Client"
JOIN_EARLY = timedelta(minutes=15)
NOTES_PREVIEW = 80


def coach_scope(coach_id: int) -> sa.ColumnElement[bool]:
    """A coach's sessions: with a linked client whatever the consent, or with a deleted one
    (client null)."""
    return sa.and_(
        col(CoachingSession.coach_id) == coach_id,
        sa.or_(
            col(CoachingSession.client_id).is_(None),
            col(CoachingSession.client_id).in_(linked_clients(coach_id)),
        ),
    )


def viewer_scope(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The sessions a viewer may see: a coach their own, a client theirs."""
    if viewer.is_coach:
        return coach_scope(viewer.id)
    return col(CoachingSession.client_id) == viewer.id


async def find_session(
    db: Database, viewer: Viewer | None, session_id: int
) -> CoachingSession | None:
    viewer = require_viewer(viewer)
    async with db.read() as session:
        result: CoachingSession | None = await session.scalar(
            sa.select(CoachingSession).where(
                col(CoachingSession.id) == session_id, viewer_scope(viewer)
            )
        )
        return result


async def own_session(session: AsyncSession, coach: Viewer, session_id: int) -> CoachingSession:
    """The coach's session, row-locked for the transaction where the engine supports it."""
    mine = (
        sa.select(CoachingSession)
        .where(col(CoachingSession.id) == session_id, coach_scope(coach.id))
        .with_for_update()
    )
    return await require_row(session, mine, "session", session_id)


def can_see_private_notes(viewer: Viewer | None, s: CoachingSession) -> bool:
    """Private notes are the session's coach's alone."""
    return viewer is not None and viewer.is_coach and viewer.id == s.coach_id


def notes_preview(private_notes: str | None) -> str | None:
    if not private_notes:
        return None
    return private_notes[:NOTES_PREVIEW]


def can_join(s: CoachingSession, now: datetime | None = None) -> bool:
    """From 15 minutes before the start until the end, unless cancelled or over."""
    now = now or clock.now()
    return s.status in LIVE and s.starts_at - JOIN_EARLY <= now < s.ends_at


def meeting_link(s: CoachingSession, template: str) -> str:
    """The session's video-call link (`template` is MEETING_URL_TEMPLATE, holding `{room}`):
    shown as `joinUrl` and written as the LOCATION of its invitations and calendar feeds."""
    return room_link(s.meeting_room, template)


def room_link(room: str, template: str) -> str:
    """The video-call link of a meeting room (a session's `meeting_room`)."""
    return template.replace("{room}", room)


def join_url(viewer: Viewer | None, s: CoachingSession, template: str) -> str | None:
    """The video call's link, for the session's coach and client only."""
    if viewer is None or viewer.id not in (s.coach_id, s.client_id):
        return None
    return meeting_link(s, template)
