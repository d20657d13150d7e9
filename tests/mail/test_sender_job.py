"""The sender job is woken by the commit that queued mail; SMTP_URL and MAIL_FROM are checked
when the settings are read; `coach-graph outbox` lists what waits and why."""

from __future__ import annotations

import pytest

from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.jobs import JobRunner
from coach_graph.mail.job import outbox_job
from coach_graph.mail.server import SmtpServer
from coach_graph.outbox.service import drain
from tests.mail.conftest import MAIL_FROM, PRACTICE, SmtpTestServer, smtp_sender
from tests.sessions.conftest import Scene, at
from tests.test_cli import coach_graph


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpTestServer) -> Settings:
    return settings.with_(smtp=smtp_server.server, mail_from=MAIL_FROM, practice_name=PRACTICE)


async def test_the_commit_that_queues_a_mail_wakes_the_sender(
    scene: Scene, resources: Resources, smtp_server: SmtpTestServer
) -> None:
    # An hour between timer runs: only the doorbell can make the mail leave within seconds.
    runner = JobRunner(resources, [outbox_job(interval_seconds=3600)])
    runner.start()
    try:
        await scene.book(at(3, 9), 60)
        assert len(await smtp_server.mailbox.wait_for(1, seconds=10)) == 1
        # The runner's first (immediate) run claimed before this booking existed: what sends
        # the second mail can only be a run the doorbell started.
        await scene.book(at(3, 11), 60)
        mails = await smtp_server.mailbox.wait_for(2, seconds=10)
    finally:
        await runner.stop()
    assert len(mails) == 2
    assert {m["To"].addresses[0].addr_spec for m in mails} == {scene.client.email}


async def test_a_failed_transaction_queues_and_sends_nothing(
    scene: Scene, resources: Resources, smtp_server: SmtpTestServer
) -> None:
    await scene.book(at(3, 9), 60)
    error = await scene.book_error(at(3, 9), 60)  # overlaps: refused, rolled back
    assert error["extensions"]["code"] in ("CONFLICT", "BAD_USER_INPUT")
    report = await drain(resources.db, smtp_sender(resources.db, smtp_server))
    assert report.sent == 1


def test_smtp_urls_are_parsed_once_with_the_default_ports() -> None:
    def server(url: str) -> SmtpServer | None:
        return Settings.from_env({"SMTP_URL": url}).smtp

    assert server("smtp://mail.test") == SmtpServer("mail.test", 25)
    assert server("smtps://mail.test") == SmtpServer("mail.test", 465, use_tls=True)
    assert server("smtp+starttls://u%40x:p%3Aw@mail.test:2525") == SmtpServer(
        "mail.test", 2525, start_tls=True, username="u@x", password="p:w"
    )
    assert Settings.from_env({}).smtp is None  # no SMTP_URL: the outbox only logs


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.test", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://mail.test:99999", "not a valid URL"),
        ("smtp://user@mail.test", "both a user and a password"),
        ("smtp://user:s3cret@mail.test/inbox", "no path"),
    ],
)
def test_a_bad_smtp_url_is_refused_at_start_with_a_clear_message(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as refused:
        Settings.from_env({"SMTP_URL": url})
    assert "s3cret" not in str(refused.value)  # the message never repeats a password


def test_a_bad_mail_from_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="MAIL_FROM"):
        Settings.from_env({"MAIL_FROM": "not an address"})
    assert Settings.from_env({"MAIL_FROM": "Me <me@x.test>"}).mail_from == "Me <me@x.test>"


async def test_the_outbox_command_lists_mail_being_retried_with_its_error(
    scene: Scene, db: Database, database_url: str, smtp_server: SmtpTestServer
) -> None:
    await scene.book(at(3, 9), 60)
    smtp_server.stop()
    report = await drain(db, smtp_sender(db, smtp_server))
    assert (report.failed, report.given_up) == (1, 0)
    waiting = await coach_graph(database_url, "outbox", "--status", "pending")
    assert waiting.code == 0, waiting.err
    assert "SESSION_BOOKED" in waiting.out and "DeliveryUnavailable" in waiting.out
    assert "1 pending shown; waiting: 1 (1 after a failed attempt); failed: 0" in waiting.out
    failed = await coach_graph(database_url, "outbox", "--status", "failed")
    assert "SESSION_BOOKED" not in failed.out and "0 failed shown" in failed.out
    sent = await coach_graph(database_url, "outbox", "--status", "sent")
    assert "SESSION_BOOKED" not in sent.out and "0 sent shown" in sent.out
