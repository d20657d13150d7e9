"""The CSV export: RFC 4180 (CRLF line ends, quotes where needed), UTF-8 with a byte-order mark
so that Excel and LibreOffice read accents right, a header row, one row per session."""

from __future__ import annotations

import csv
import io

from coach_graph.sessions.exports.history import ExportRow, History

COLUMNS = [
    "session_id",
    "start",
    "service",
    "minutes",
    "status",
    "price",
    "fee",
    "currency",
    "rating",
    "customer_notes",
    "cancellation_reason",
]
PRIVATE_NOTES = "private_notes"

# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates: a leading quote disarms it."""
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def _cells(row: ExportRow) -> list[str]:
    return [
        row.session_id,
        row.start,
        row.service,
        str(row.minutes),
        row.status,
        row.price,
        row.fee,
        row.currency,
        row.rating,
        row.customer_notes,
        row.cancellation_reason,
    ]


def to_csv(history: History) -> bytes:
    """The history as CSV bytes (UTF-8 with BOM); the private notes column only when opted in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    private = history.with_private_notes
    writer.writerow([*COLUMNS, PRIVATE_NOTES] if private else COLUMNS)
    for row in history.rows:
        cells = _cells(row)
        if private:
            cells.append(row.private_notes or "")
        writer.writerow([spreadsheet_safe(c) for c in cells])
    return out.getvalue().encode("utf-8-sig")
