"""A coach's cancellation policy (notice hours, late fee in percent of the price) and what it
charges: a client's late cancellation and every no-show. The fee is stored on the session when
it is charged, so a later change of the policy does not rewrite history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coach_graph import clock, events, text
from coach_graph.auth import Viewer, require_client, require_coach
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict, NotFound
from coach_graph.notifications.service import notify
from coach_graph.outbox.models import MessageKind
from coach_graph.sessions.events import SessionCancelled
from coach_graph.sessions.models import CancellationPolicy, CoachingSession, SessionStatus
from coach_graph.sessions.reminders import drop_pending_reminders
from coach_graph.sessions.reschedule import close_pending_request
from coach_graph.sessions.status import LIVE

MAX_NOTICE_HOURS = 720


@dataclass(frozen=True)
class Policy:
    notice_hours: int = 24
    late_fee_percent: int = 0

    def fee(self, price_minor: int) -> int:
        """The late fee of a price, rounded half up to a whole minor unit."""
        return (price_minor * self.late_fee_percent + 50) // 100


async def policy_of(session: AsyncSession, coach_id: int) -> Policy:
    row = await session.get(CancellationPolicy, coach_id)
    return Policy(row.notice_hours, row.late_fee_percent) if row else Policy()


async def get_policy(db: Database, viewer: Viewer | None) -> Policy:
    coach = require_coach(viewer)
    async with db.read() as session:
        return await policy_of(session, coach.id)


async def set_policy(
    db: Database, viewer: Viewer | None, notice_hours: int, late_fee_percent: int
) -> Policy:
    """Replace the coach's policy; it applies to cancellations and no-shows from now on."""
    coach = require_coach(viewer)
    if not 0 <= notice_hours <= MAX_NOTICE_HOURS:
        raise BadUserInput(
            f"Notice is 0 to {MAX_NOTICE_HOURS} hours; got {notice_hours}.", field="noticeHours"
        )
    if not 0 <= late_fee_percent <= 100:
        raise BadUserInput(
            f"A late fee is 0 to 100 percent; got {late_fee_percent}.", field="lateFeePercent"
        )
    async with db.transaction() as session:
        row = await session.get(CancellationPolicy, coach.id)
        if row is None:
            row = CancellationPolicy(coach_id=coach.id)
            session.add(row)
        row.notice_hours, row.late_fee_percent = notice_hours, late_fee_percent
    return Policy(notice_hours, late_fee_percent)


async def charge_no_show(session: AsyncSession, s: CoachingSession) -> None:
    """A no-show always pays the late fee; correcting it to COMPLETED takes the fee back."""
    if s.status == SessionStatus.NO_SHOW:
        s.fee_minor = (await policy_of(session, s.coach_id)).fee(s.price_minor)
    else:
        s.fee_minor = 0


async def cancel_my_session(
    db: Database, viewer: Viewer | None, session_id: int, reason: str | None
) -> CoachingSession:
    """The client cancels their own PENDING or CONFIRMED session before it starts; inside the
    coach's notice window it is a late cancellation and the late fee is charged."""
    client = require_client(viewer)
    text.checked_text(reason, "reason", text.REASON)
    async with db.transaction() as session:
        s = await session.scalar(
            sa.select(CoachingSession)
            .where(
                col(CoachingSession.id) == session_id, col(CoachingSession.client_id) == client.id
            )
            .with_for_update()
        )
        if s is None:
            raise NotFound.of("session", session_id)
        if s.status not in LIVE:
            raise Conflict(f"The session is {s.status}, which is final.")
        now = clock.now()
        if now >= s.starts_at:
            raise BadUserInput("A session can only be cancelled before it starts.")
        policy = await policy_of(session, s.coach_id)
        s.late_cancellation = s.starts_at - now < timedelta(hours=policy.notice_hours)
        s.fee_minor = policy.fee(s.price_minor) if s.late_cancellation else 0
        s.status = SessionStatus.CANCELLED.value
        s.cancellation_reason = reason
        s.invite_sequence += 1
        assert s.id is not None
        events.record(
            session, SessionCancelled(s.id, s.coach_id, s.client_id, s.starts_at, s.ends_at)
        )
        await drop_pending_reminders(session, s.id)
        await close_pending_request(session, s.id, "The client cancelled the session.")
        told = {"session_id": s.id, "starts_at": s.starts_at.isoformat(), "reason": reason}
        # The coach is told; the client's mail carries the calendar's CANCEL.
        for recipient in (s.coach_id, s.client_id):
            await notify(session, recipient, MessageKind.SESSION_CANCELLED, told, session_id=s.id)
    return s
