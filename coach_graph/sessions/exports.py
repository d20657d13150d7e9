"""Exports of a client's session history: CSV (RFC 4180, UTF-8, header row) and PDF (fpdf2).

Routes take the same bearer token as /graphql: 401 without a valid one, 404 for a client the
viewer may not see. Private notes appear only for the coach.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fpdf import FPDF
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coach_graph import clock
from coach_graph.auth import Viewer, authenticate, parse_bearer
from coach_graph.clients.service import ClientView, visible_client
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.errors import NotFound
from coach_graph.sessions.models import CoachingSession, Service
from coach_graph.sessions.service import (
    SessionStats,
    can_see_private_notes,
    load_session_stats,
    viewer_scope,
)

# An export holds at most this many sessions (years of weekly sessions).
MAX_ROWS = 10_000


@dataclass(frozen=True)
class ExportRow:
    date: str
    time: str
    service: str
    duration_minutes: int
    status: str
    customer_notes: str
    private_notes: str | None


@dataclass(frozen=True)
class History:
    client: ClientView
    viewer: Viewer
    rows: list[ExportRow]
    stats: SessionStats


async def client_history(db: Database, viewer: Viewer, client_id: int) -> History:
    """A client's sessions as the viewer may see them, oldest first, in the viewer's time zone."""
    view = await visible_client(db, viewer, client_id)
    tz = ZoneInfo(viewer.time_zone)
    async with db.session() as session:
        result = await session.execute(
            sa.select(CoachingSession, col(Service.name))
            .join(Service, col(Service.id) == col(CoachingSession.service_id))
            .where(viewer_scope(viewer), col(CoachingSession.client_id) == client_id)
            .order_by(col(CoachingSession.starts_at), col(CoachingSession.id))
            .limit(MAX_ROWS)
        )
        found = result.all()
    rows = []
    for s, service_name in found:
        local = s.starts_at.astimezone(tz)
        rows.append(
            ExportRow(
                date=local.date().isoformat(),
                time=local.strftime("%H:%M"),
                service=service_name,
                duration_minutes=s.duration_minutes,
                status=s.status,
                customer_notes=s.customer_notes or "",
                private_notes=(s.private_notes or "") if can_see_private_notes(viewer, s) else None,
            )
        )
    stats = (await load_session_stats(db, [(client_id, viewer.id if viewer.is_coach else 0)]))[0]
    return History(view, viewer, rows, stats)


def to_csv(history: History) -> str:
    """RFC 4180: CRLF line ends, quotes where needed, a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    coach = history.viewer.is_coach
    header = ["date", "time", "service", "duration_minutes", "status", "customer_notes"]
    writer.writerow([*header, "private_notes"] if coach else header)
    for r in history.rows:
        line = [r.date, r.time, r.service, str(r.duration_minutes), r.status, r.customer_notes]
        writer.writerow([*line, r.private_notes or ""] if coach else line)
    return out.getvalue()


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1 only; other characters become "?" instead of failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(history: History) -> bytes:
    """A PDF with a title, the client, the table of sessions and the statistics."""
    client = history.client.client
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title("Session history")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Session history", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    name = client.name or client.email
    pdf.cell(0, 7, _latin1(f"Client: {name} <{client.email}>"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 7, _latin1(f"Times in {history.viewer.time_zone}; exported "
                      f"{clock.now():%Y-%m-%d %H:%M} UTC"),
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.ln(3)
    s = history.stats
    revenue = f"{s.revenue_minor / 100:.2f} {s.currency or ''}".strip()
    pdf.cell(
        0, 7,
        f"Total {s.total}   Completed {s.completed}   Cancelled {s.cancelled}   "
        f"No-shows {s.no_shows}   Cancellation rate {s.cancellation_rate:.0%}   "
        f"Revenue {revenue}",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.ln(3)
    coach = history.viewer.is_coach
    header = ["Date", "Time", "Service", "Minutes", "Status", "Customer notes"]
    widths = (24, 14, 40, 18, 26, 75, 75) if coach else (24, 14, 40, 18, 26, 150)
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=widths, text_align="LEFT") as table:
        table.row([*header, "Private notes"] if coach else header)
        for r in history.rows:
            cells = [r.date, r.time, r.service, str(r.duration_minutes), r.status, r.customer_notes]
            if coach:
                cells.append(r.private_notes or "")
            table.row([_latin1(c) for c in cells])
    return bytes(pdf.output())


def export_routes(resources: Callable[[], Resources]) -> list[Route]:
    """GET /exports/clients/{id}/sessions.csv and .pdf."""

    def endpoint(fmt: str) -> Callable[[Request], Awaitable[Response]]:
        async def export(request: Request) -> Response:
            res = resources()
            token = parse_bearer(request.headers.get("authorization"))
            viewer = await authenticate(res.db, token, res.activity)
            if viewer is None:
                return JSONResponse(
                    {"error": "A valid bearer token is required."},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            raw_id = request.path_params["id"]
            try:
                client_id = int(raw_id)
                if client_id < 1 or client_id > 2**63 - 1:
                    raise ValueError
                history = await client_history(res.db, viewer, client_id)
            except (ValueError, NotFound):
                # Foreign and unknown clients answer alike, so ids cannot be probed.
                return JSONResponse({"error": f"No client with id {raw_id}."}, status_code=404)
            disposition = {
                "Content-Disposition": f'attachment; filename="client-{client_id}-sessions.{fmt}"'
            }
            if fmt == "csv":
                return Response(
                    to_csv(history).encode("utf-8"),
                    media_type="text/csv; charset=utf-8; header=present",
                    headers=disposition,
                )
            return Response(to_pdf(history), media_type="application/pdf", headers=disposition)

        return export

    return [
        Route(f"/exports/clients/{{id}}/sessions.{fmt}", endpoint(fmt), methods=["GET"])
        for fmt in ("csv", "pdf")
    ]
