"""GET /calendar/<secret>.ics: a person's calendar feed, for calendar programs (Google
Calendar, Apple Calendar, Outlook) that subscribe with the URL alone. An unknown or replaced
secret is 404 (answered alike, so secrets cannot be probed); an unchanged feed is 304 for the
ETag the program holds; `Cache-Control: private` keeps shared caches out of it."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coach_graph.calendar_feed import ics
from coach_graph.calendar_feed.service import feed_content
from coach_graph.context import Resources
from coach_graph.mail.compose import Letterhead
from coach_graph.mail.server import parse_mail_from

MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private"


def _matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names `tag` (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = (t.strip().removeprefix("W/") for t in if_none_match.split(","))
    return tag in candidates


def calendar_routes(resources: Callable[[], Resources]) -> list[Route]:
    """The feed route, reading the app's resources when a request comes."""

    async def calendar(request: Request) -> Response:
        res = resources()
        content = await feed_content(res.db, request.path_params["secret"])
        if content is None:
            return JSONResponse(
                {"error": "No calendar feed at this address.", "code": "NOT_FOUND"},
                404,
                headers={"Cache-Control": "no-store"},
            )
        settings = res.settings
        # The UIDs' domain is the mails' (MAIL_FROM's), so feed events and invitations match.
        domain = Letterhead(parse_mail_from(settings.mail_from), settings.practice_name).domain
        body = await ics.render(
            content, domain=domain, meeting_url_template=settings.meeting_url_template
        )
        tag = ics.etag(body)
        headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
        if _matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=MEDIA_TYPE, headers=headers)

    return [Route("/calendar/{secret}.ics", calendar, methods=["GET", "HEAD"])]
