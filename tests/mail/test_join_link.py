"""The invitations of a session's mails give its join link as their LOCATION (SPEC "Messages and
notifications": "the join link as its location"): the same link the API returns as `joinUrl`,
from MEETING_URL_TEMPLATE, on the booking and on every move; its cancellation keeps the UID."""

from __future__ import annotations

import pytest

from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.mail.job import mail_sender
from coach_graph.outbox.service import drain
from tests.mail.conftest import MAIL_FROM, PRACTICE, SmtpTestServer
from tests.mail.test_smtp_delivery import CANCEL, MOVE, invitation, mails_about, parts
from tests.sessions.conftest import Scene, at, iso

TEMPLATE = "https://video.brightpath.test/room/{room}?lang=en"
JOIN_URL = "query($id: ID!) { session(id: $id) { joinUrl } }"


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpTestServer) -> Settings:
    return settings.with_(
        smtp=smtp_server.server,
        mail_from=MAIL_FROM,
        practice_name=PRACTICE,
        meeting_url_template=TEMPLATE,
    )


async def test_booking_and_moves_invite_to_the_join_link_and_the_cancel_keeps_the_uid(
    scene: Scene, resources: Resources, smtp_server: SmtpTestServer
) -> None:
    db = resources.db
    sender = mail_sender(db, resources.settings)  # the sender the app's job uses
    booked = await scene.book(at(3, 9), 60)
    other = await scene.book(at(3, 13), 60)
    await drain(db, sender)
    await scene.as_coach(MOVE, id=booked["id"], t=iso(at(3, 11)))
    await drain(db, sender)
    await scene.as_coach(MOVE, id=booked["id"], t=iso(at(4, 10)))
    await drain(db, sender)
    await scene.as_coach(CANCEL, id=booked["id"])
    await drain(db, sender)

    link = (await scene.as_client(JOIN_URL, id=booked["id"]))["session"]["joinUrl"]
    assert link == (await scene.as_coach(JOIN_URL, id=booked["id"]))["session"]["joinUrl"]
    assert link.startswith("https://video.brightpath.test/room/") and link.endswith("?lang=en")
    mails = mails_about(await smtp_server.mailbox.wait_for(5), booked["id"])
    seen = [invitation(m) for m in mails]
    assert [method for method, _ in seen] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert {str(event["UID"]) for _, event in seen} == {f"session-{booked['id']}@brightpath.test"}
    for mail, (method, event) in zip(mails, seen, strict=True):
        assert str(event["LOCATION"]) == link
        text = parts(mail)["text/plain"].get_content().replace("\r\n", "\n")
        # The mail says where to join while the session is on; its cancellation does not.
        assert (f"Join the session:\n{link}" in text) == (method == "REQUEST")

    # Each session has its own room: the other session's invitation names its own link.
    other_link = (await scene.as_client(JOIN_URL, id=other["id"]))["session"]["joinUrl"]
    [other_mail] = mails_about(smtp_server.mailbox.mails, other["id"])
    assert other_link != link
    assert str(invitation(other_mail)[1]["LOCATION"]) == other_link
