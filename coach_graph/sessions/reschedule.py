"""Client reschedule requests: the three windows of SPEC.md, the coach's answer, expiry, the
listing, and the events that the `rescheduleRequestChanged` subscription pushes."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, events, text
from coach_graph.auth import Viewer, require_client, require_coach, require_viewer
from coach_graph.db import Database, publish_after_commit
from coach_graph.errors import BadUserInput, Conflict, NotFound
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind
from coach_graph.sessions.access import coach_scope
from coach_graph.sessions.events import RescheduleRequestChanged, SessionRescheduled
from coach_graph.sessions.models import (
    CoachingSession,
    RescheduleRequest,
    RescheduleRequestStatus,
)
from coach_graph.sessions.placement import check_placement, move_session
from coach_graph.sessions.reminders import drop_pending_reminders
from coach_graph.sessions.setup import lock_schedule
from coach_graph.sessions.status import LIVE

CHANNEL = "reschedule-requests"
# More than this before the start: the move is applied at once.
APPLY_AT_ONCE = timedelta(hours=48)
# Less than this before the start: refused.
TOO_LATE = timedelta(hours=24)
# A pending request lapses this long after it was made (or at the start, if sooner).
PENDING_FOR = timedelta(hours=48)


def _event(request: RescheduleRequest) -> dict[str, object]:
    return {
        "id": request.id,
        "coach_id": request.coach_id,
        "client_id": request.client_id,
        "status": request.status,
    }


async def request_changed(session: AsyncSession, request: RescheduleRequest) -> None:
    """A request was made or changed: tell subscribers once the transaction of `session`
    commits, and the domains that react (alerts: a PENDING request raises the coach's alert, an
    answered or expired one resolves it) in the same transaction."""
    publish_after_commit(session, CHANNEL, _event(request))
    assert request.id is not None
    events.record(
        session,
        RescheduleRequestChanged(
            request.id,
            request.session_id,
            request.coach_id,
            request.client_id,
            request.status,
            request.original_starts_at,
            request.proposed_starts_at,
            request.expires_at,
        ),
    )


async def close_pending_request(
    session: AsyncSession, session_id: int | None, reason: str
) -> RescheduleRequest | None:
    """Reject a session's pending reschedule request when the coach moves or cancels it."""
    request = await session.scalar(
        sa.select(RescheduleRequest).where(
            col(RescheduleRequest.session_id) == session_id,
            col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING,
        )
    )
    if request is not None:
        request.status = RescheduleRequestStatus.REJECTED.value
        request.responded_at = clock.now()
        request.response_reason = reason
        await request_changed(session, request)
    return request


def _reason(reason: str | None) -> str | None:
    return text.checked_text(reason, "reason", text.REASON)


async def request_reschedule(
    db: Database,
    viewer: Viewer | None,
    session_id: int,
    starts_at: datetime,
    reason: str | None,
) -> RescheduleRequest:
    """The client asks to move their session: applied at once more than 48 hours ahead, PENDING
    for the coach between 24 and 48 hours ahead, refused under 24 hours."""
    client = require_client(viewer)
    _reason(reason)
    try:
        async with db.transaction() as session:
            s = await session.scalar(
                sa.select(CoachingSession).where(
                    col(CoachingSession.id) == session_id,
                    col(CoachingSession.client_id) == client.id,
                )
            )
            if s is None:
                raise NotFound.of("session", session_id)
            if s.status not in LIVE:
                raise Conflict(f"A {s.status} session cannot be rescheduled.")
            now = clock.now()
            lead = s.starts_at - now
            if lead < TOO_LATE:
                raise BadUserInput(
                    "A session can be rescheduled up to 24 hours before it starts; ask your "
                    "coach directly."
                )
            pending = await session.scalar(
                sa.select(col(RescheduleRequest.id)).where(
                    col(RescheduleRequest.session_id) == s.id,
                    col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING,
                )
            )
            if pending is not None:
                raise Conflict("This session has a pending reschedule request already.")
            await lock_schedule(session, s.coach_id)
            ends_at = await check_placement(
                session,
                s.coach_id,
                starts_at,
                s.duration_minutes,
                exclude_session_id=s.id,
                by_client=True,
            )
            assert s.id is not None
            request = RescheduleRequest(
                session_id=s.id,
                coach_id=s.coach_id,
                client_id=client.id,
                original_starts_at=s.starts_at,
                proposed_starts_at=starts_at,
                reason=reason,
                requested_at=now,
                expires_at=min(now + PENDING_FOR, s.starts_at),
            )
            if lead > APPLY_AT_ONCE:
                request.status = RescheduleRequestStatus.APPROVED.value
                request.responded_at = now
                move_session(s, starts_at, ends_at)
                await drop_pending_reminders(session, s.id)
            session.add(request)
            await session.flush()
            await request_changed(session, request)
            pending = request.status == RescheduleRequestStatus.PENDING
            await notify(
                session,
                s.coach_id,
                MessageKind.RESCHEDULE_REQUESTED if pending else MessageKind.SESSION_RESCHEDULED,
                {
                    "session_id": s.id,
                    "starts_at": (
                        request.original_starts_at if pending else s.starts_at
                    ).isoformat(),
                    "reason": reason,
                },
                session_id=s.id,
            )
    except sa.exc.IntegrityError:  # a concurrent request won the one-pending index
        raise Conflict("This session has a pending reschedule request already.") from None
    return request


async def respond(
    db: Database,
    viewer: Viewer | None,
    request_id: int,
    approve: bool,
    reason: str | None,
) -> RescheduleRequest:
    """The coach approves (the session moves) or rejects (it stays) a pending request."""
    coach = require_coach(viewer)
    _reason(reason)
    async with db.transaction() as session:
        await lock_schedule(session, coach.id)
        request = await session.scalar(
            sa.select(RescheduleRequest).where(
                col(RescheduleRequest.id) == request_id,
                col(RescheduleRequest.coach_id) == coach.id,
                col(RescheduleRequest.session_id).in_(
                    sa.select(col(CoachingSession.id)).where(coach_scope(coach.id))
                ),
            )
        )
        if request is None:
            raise NotFound.of("reschedule request", request_id)
        now = clock.now()
        if request.status != RescheduleRequestStatus.PENDING:
            raise Conflict(f"This request is {request.status} already and cannot be answered.")
        if request.expires_at <= now:
            raise Conflict("This request has expired; the session stays at its original time.")
        s = await session.get(CoachingSession, request.session_id)
        assert s is not None
        if approve:
            if s.status not in LIVE:
                raise Conflict(f"The session is {s.status}; it cannot be moved.")
            ends_at = await check_placement(
                session, coach.id, request.proposed_starts_at, s.duration_minutes,
                exclude_session_id=s.id,
            )  # fmt: skip
            previous = s.starts_at
            move_session(s, request.proposed_starts_at, ends_at)
            assert s.id is not None
            events.record(
                session,
                SessionRescheduled(s.id, s.coach_id, s.client_id, previous, s.starts_at, ends_at),
            )
            await drop_pending_reminders(session, s.id)
        request.status = (
            RescheduleRequestStatus.APPROVED if approve else RescheduleRequestStatus.REJECTED
        ).value
        request.responded_at = now
        request.response_reason = reason
        await notify(
            session,
            request.client_id,
            MessageKind.RESCHEDULE_ANSWERED,
            {
                "request_id": request.id,
                "session_id": s.id,
                "status": request.status,
                "starts_at": s.starts_at.isoformat(),
                "reason": reason,
            },
            session_id=s.id,
        )
        await request_changed(session, request)
    return request


def _viewer_requests(viewer: Viewer) -> sa.ColumnElement[bool]:
    """Coach: requests of their sessions. Client: their own requests."""
    if viewer.is_coach:
        return sa.and_(
            col(RescheduleRequest.coach_id) == viewer.id,
            col(RescheduleRequest.session_id).in_(
                sa.select(col(CoachingSession.id)).where(coach_scope(viewer.id))
            ),
        )
    return col(RescheduleRequest.client_id) == viewer.id


async def list_requests(
    db: Database, viewer: Viewer | None, status: RescheduleRequestStatus | None
) -> list[RescheduleRequest]:
    """The viewer's requests with that status (all when null), newest first."""
    viewer = require_viewer(viewer)
    query = sa.select(RescheduleRequest).where(_viewer_requests(viewer))
    if status is not None:
        query = query.where(col(RescheduleRequest.status) == status.value)
    query = query.order_by(col(RescheduleRequest.requested_at).desc(), col(RescheduleRequest.id))
    async with db.read() as session:
        return list((await session.scalars(query.limit(500))).all())


async def request_for_event(
    db: Database, viewer: Viewer | None, request_id: int
) -> RescheduleRequest | None:
    """What a subscriber may see of a changed request: a coach every change of their sessions'
    requests, a client only the outcome of their own (not their own PENDING echo)."""
    viewer = require_viewer(viewer)
    query = sa.select(RescheduleRequest).where(
        col(RescheduleRequest.id) == request_id, _viewer_requests(viewer)
    )
    if viewer.is_client:
        query = query.where(col(RescheduleRequest.status) != RescheduleRequestStatus.PENDING)
    async with db.read() as session:
        result: RescheduleRequest | None = await session.scalar(query)
        return result


async def expire_requests(db: Database) -> int:
    """Mark every pending request past its expiry EXPIRED (the session stays), then publish."""
    now = clock.now()
    async with db.transaction() as session:
        expired = (
            await session.scalars(
                sa.update(RescheduleRequest)
                .where(
                    col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING,
                    col(RescheduleRequest.expires_at) <= now,
                )
                .values(status=RescheduleRequestStatus.EXPIRED.value)
                .returning(RescheduleRequest)
            )
        ).all()
        for request in expired:
            await request_changed(session, request)
    return len(expired)


async def load_pending_requests(
    db: Database, session_ids: list[int]
) -> list[RescheduleRequest | None]:
    """Each session's pending request (DataLoader batch)."""
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(RescheduleRequest).where(
                col(RescheduleRequest.session_id).in_(session_ids),
                col(RescheduleRequest.status) == RescheduleRequestStatus.PENDING,
            )
        )
        found = {r.session_id: r for r in rows.all()}
    return [found.get(i) for i in session_ids]
