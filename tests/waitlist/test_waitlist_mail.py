"""The waitlist's notice is mailed through the outbox to a real SMTP server (aiosmtpd on
127.0.0.1), naming the freed time in the client's own time zone."""

from __future__ import annotations

from coach_graph.db import Database
from coach_graph.outbox.service import drain
from tests.mail.conftest import SmtpTestServer, smtp_sender
from tests.mail.test_smtp_delivery import parts
from tests.sessions.conftest import Scene, at, iso
from tests.waitlist.conftest import CANCEL, JOIN


async def test_the_freed_time_is_mailed_in_the_clients_time_zone(
    scene: Scene, db: Database, smtp_server: SmtpTestServer
) -> None:
    freed = await scene.book(at(1, 14), 60)
    waiting = await scene.practice.client(None, "Tokyo Toshi", time_zone="Asia/Tokyo")
    token = await scene.practice.token(waiting)
    variables = {"c": str(scene.coach.id), "s": scene.services[60], "f": iso(at(1, 0)),
                 "t": iso(at(2, 0))}  # fmt: skip
    await scene.gql.data(JOIN, variables, token)
    await scene.as_coach(CANCEL, id=freed["id"])
    report = await drain(db, smtp_sender(db, smtp_server))
    # The scene client's booking and cancellation, and the notice.
    mails = await smtp_server.mailbox.wait_for(3)
    [notice] = [m for m in mails if m["To"].addresses[0].addr_spec == waiting.email]
    assert report.failed == 0
    assert notice["Subject"].startswith("A time opened with Coach Carter")
    text = parts(notice)["text/plain"].get_content()
    assert "Tuesday 03 March 2026, 23:00 (Asia/Tokyo)" in text  # 14:00 UTC
    assert "text/calendar" not in parts(notice)  # an offer, not an invitation
