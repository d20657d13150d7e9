"""GET /exports/clients/{id}/sessions.csv and .pdf.

Same bearer token as /graphql: 401 without a valid one; 404 for a client the viewer may not see,
answered exactly like an unknown id so ids cannot be probed. `?includePrivateNotes=true` adds
private notes for the coach; a client who asks gets the export without them (their coach's
notes are not theirs to see, and the answer does not tell whether any exist)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coach_graph.auditing import AuditAction
from coach_graph.context import Resources, viewer_from_bearer
from coach_graph.errors import NotFound
from coach_graph.sessions.exports.csv import to_csv
from coach_graph.sessions.exports.history import History, client_history
from coach_graph.sessions.exports.pdf import to_pdf

FORMATS: dict[str, tuple[str, Callable[[History], bytes]]] = {
    "csv": ("text/csv; charset=utf-8; header=present", to_csv),
    "pdf": ("application/pdf", to_pdf),
}
_FLAG = {"true": True, "false": False}


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    body = {"error": message, "code": code}
    return JSONResponse(body, status, headers={"Cache-Control": "no-store", **headers})


def content_disposition(client_id: int, name: str, fmt: str) -> str:
    """An attachment named after the client: an ASCII `filename` for every browser and, for a
    name outside ASCII, its UTF-8 spelling in `filename*` (RFC 6266 / RFC 5987)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or f"client-{client_id}"
    header = f'attachment; filename="{slug}-sessions.{fmt}"'
    readable = re.sub(r'[\x00-\x1f\x7f/\\"]+', " ", name).strip()
    if readable and not readable.isascii():
        header += f"; filename*=UTF-8''{quote(f'{readable} sessions.{fmt}', safe='')}"
    return header


def export_routes(resources: Callable[[], Resources]) -> list[Route]:
    """The export routes, reading the app's resources when a request comes."""

    def endpoint(fmt: str) -> Callable[[Request], Awaitable[Response]]:
        media_type, render = FORMATS[fmt]

        async def export(request: Request) -> Response:
            res = resources()
            db = res.db
            viewer = await viewer_from_bearer(res, request.headers.get("authorization"))
            if viewer is None:
                return _error(
                    401, "UNAUTHENTICATED", "A valid bearer token is required.",
                    **{"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
            flag = request.query_params.get("includePrivateNotes", "false").lower()
            if flag not in _FLAG:
                return _error(400, "BAD_USER_INPUT", "includePrivateNotes is true or false.")
            raw_id = request.path_params["id"]
            try:
                client_id = int(raw_id)
                if client_id < 1 or client_id > 2**63 - 1:
                    raise ValueError
                history = await client_history(db, viewer, client_id, _FLAG[flag])
            except (ValueError, NotFound):
                return _error(404, "NOT_FOUND", f"No client with id {raw_id}.")
            res.audit.read(viewer.id, client_id, AuditAction.EXPORT)
            # Rendering is CPU work (a PDF takes a tenth of a second or more): off the loop.
            body = await run_in_threadpool(render, history)
            client = history.client
            disposition = content_disposition(client_id, client.name or client.email, fmt)
            return Response(
                body,
                media_type=media_type,
                headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
            )

        return export

    return [
        Route(f"/exports/clients/{{id}}/sessions.{fmt}", endpoint(fmt), methods=["GET"])
        for fmt in FORMATS
    ]
