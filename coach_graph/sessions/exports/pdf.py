"""The PDF export: a title block (coach, client, period, totals) and the table of sessions, set
in fonts shipped with the package so that text in any script renders: DejaVu Sans for Latin,
Greek, Cyrillic and more, Droid Sans Fallback for Chinese, Japanese and Korean. fpdf2 embeds
only the glyphs a document uses."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont

from coach_graph import clock
from coach_graph.sessions.exports.history import History, major_units

FONTS = Path(__file__).with_name("fonts")
TEXT, CJK = "DejaVuSans", "DroidSansFallback"

_HEADER = ["Start", "Service", "Min", "Status", "Price", "Fee", "Rating", "Customer notes"]
_WIDTHS = (34, 36, 10, 24, 22, 12, 12)  # mm; the notes columns share the rest of the page
_NOTES_WIDTHS = {False: (86, 41), True: (50, 36, 41)}  # without / with private notes


def _new_document(texts: list[str]) -> FPDF:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font(TEXT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(TEXT, "B", FONTS / "DejaVuSans-Bold.ttf")
    text_font = pdf.fonts[TEXT.lower()]
    assert isinstance(text_font, TTFFont)
    covered = text_font.cmap
    # The CJK font is large; it is read only when the document holds a character DejaVu lacks.
    if any(ord(c) not in covered for c in chain.from_iterable(texts) if not c.isspace()):
        pdf.add_font(CJK, "", FONTS / "DroidSansFallback.ttf")
        pdf.set_fallback_fonts([CJK], exact_match=False)
    return pdf


def _line(pdf: FPDF, text: str, size: float = 11, style: str = "") -> None:
    pdf.set_font(TEXT, style, size)
    pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")


def to_pdf(history: History) -> bytes:
    """The history as a PDF document; private notes only when opted in."""
    client = history.client
    private = history.with_private_notes
    header = [*_HEADER, "Cancellation reason", *(["Private notes"] if private else [])]
    table = [
        [
            r.start,
            r.service,
            str(r.minutes),
            r.status,
            f"{r.price} {r.currency}",
            r.fee,
            r.rating,
            r.customer_notes,
            r.cancellation_reason,
            *([r.private_notes or ""] if private else []),
        ]
        for r in history.rows
    ]
    period = history.period
    s = history.stats
    revenue = f"{major_units(s.revenue_minor)} {s.currency or ''}".strip()
    block = [
        f"Client: {client.name or client.email} <{client.email}>",
        f"Coach: {', '.join(history.coaches) or '-'}",
        f"Period: {period[0]} to {period[1]}" if period else "Period: no sessions yet",
        f"Times in {', '.join(history.time_zones) or history.viewer.time_zone}; "
        f"exported {clock.now():%Y-%m-%d %H:%M} UTC",
        f"Sessions {s.total}   Completed {s.completed}   Cancelled {s.cancelled}   "
        f"No-shows {s.no_shows}   Cancellation rate {s.cancellation_rate:.0%}   "
        f"Revenue {revenue}",
    ]
    pdf = _new_document([*block, *chain.from_iterable(table)])
    pdf.set_title("Session history")
    pdf.add_page()
    _line(pdf, "Session history", 16, "B")
    for text in block:
        _line(pdf, text)
    pdf.ln(3)
    pdf.set_font(TEXT, size=8)
    widths = (*_WIDTHS, *_NOTES_WIDTHS[private])
    with pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=True) as grid:
        grid.row(header)
        for cells in table:
            grid.row(cells)
    return bytes(pdf.output())
