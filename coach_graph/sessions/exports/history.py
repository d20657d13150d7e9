"""A client's session history as an export shows it: one row per session, times in the coach's
time zone with their UTC offset, money in major units, private notes only when asked for by the
session's coach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.auth import Viewer
from coach_graph.clients.access import schedulable_client
from coach_graph.db import Database
from coach_graph.sessions.access import can_see_private_notes, viewer_scope
from coach_graph.sessions.models import CoachingService, CoachingSession
from coach_graph.sessions.stats import SessionStats, load_session_stats

# An export holds at most this many sessions (years of weekly sessions).
MAX_ROWS = 10_000


def fee_minor(session: CoachingSession) -> int:
    """The fee charged for the session (late cancellation or no-show), in minor units."""
    return session.fee_minor


def major_units(amount_minor: int) -> str:
    """70.00 for 7000: prices are stored in hundredths of the currency."""
    return str(Decimal(amount_minor).scaleb(-2).quantize(Decimal("0.01")))


def local_start(moment: datetime, time_zone: str) -> str:
    """`2026-05-01 09:00 +02:00`: the wall-clock time in the zone, with its UTC offset."""
    local = moment.astimezone(ZoneInfo(time_zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


@dataclass(frozen=True)
class ExportRow:
    session_id: str
    start: str
    local_date: str
    service: str
    minutes: int
    status: str
    price: str
    fee: str
    currency: str
    rating: str
    customer_notes: str
    cancellation_reason: str
    private_notes: str | None  # None: the export leaves private notes out


@dataclass(frozen=True)
class History:
    client: User  # the account only: exports follow the scheduling rule, not the data rule
    viewer: Viewer
    coaches: list[str]  # the names of the coaches the rows are with, in order of appearance
    time_zones: list[str]  # the coaches' time zones the starts are shown in
    rows: list[ExportRow]
    stats: SessionStats
    with_private_notes: bool

    @property
    def period(self) -> tuple[str, str] | None:
        """The local dates of the first and the last session."""
        return (self.rows[0].local_date, self.rows[-1].local_date) if self.rows else None


async def client_history(
    db: Database, viewer: Viewer, client_id: int, include_private_notes: bool
) -> History:
    """A client's sessions as the viewer may see them, oldest first: a coach exports those with
    any linked client whatever the consent (the scheduling rule); NOT_FOUND for anyone else.
    Private notes need the opt-in and are only ever the coach's: a client who opts in gets
    none."""
    client = await schedulable_client(db, viewer, client_id)
    with_private_notes = include_private_notes and viewer.is_coach
    coach = aliased(User)
    async with db.read() as session:
        result = await session.execute(
            sa.select(
                CoachingSession,
                col(CoachingService.name),
                col(coach.name),
                col(coach.email),
                col(coach.time_zone),
            )
            .join(CoachingService, col(CoachingService.id) == col(CoachingSession.service_id))
            .join(coach, col(coach.id) == col(CoachingSession.coach_id))
            .where(viewer_scope(viewer), col(CoachingSession.client_id) == client_id)
            .order_by(col(CoachingSession.starts_at), col(CoachingSession.id))
            .limit(MAX_ROWS)
        )
        found = result.all()
    rows: list[ExportRow] = []
    coaches: list[str] = []
    time_zones: list[str] = []
    for s, service_name, coach_name, coach_email, time_zone in found:
        assert s.id is not None
        for seen, value in ((coaches, coach_name or coach_email), (time_zones, time_zone)):
            if value not in seen:
                seen.append(value)
        show_private = with_private_notes and can_see_private_notes(viewer, s)
        rows.append(
            ExportRow(
                session_id=str(s.id),
                start=local_start(s.starts_at, time_zone),
                local_date=s.starts_at.astimezone(ZoneInfo(time_zone)).date().isoformat(),
                service=service_name,
                minutes=s.duration_minutes,
                status=s.status,
                price=major_units(s.price_minor),
                fee=major_units(fee_minor(s)),
                currency=s.currency,
                rating="" if s.rating is None else str(s.rating),
                customer_notes=s.customer_notes or "",
                cancellation_reason=s.cancellation_reason or "",
                private_notes=(s.private_notes or "") if show_private else None,
            )
        )
    if not coaches and viewer.is_coach:
        coaches.append(viewer.name or viewer.email)
    key = (client_id, viewer.id if viewer.is_coach else 0)
    stats = (await load_session_stats(db, [key]))[0]
    return History(client, viewer, coaches, time_zones, rows, stats, with_private_notes)
