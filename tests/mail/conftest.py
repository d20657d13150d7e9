"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1 in its own thread, keeping every
mail it receives; it can be stopped and started again on the same port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.mail.compose import Letterhead
from coach_graph.mail.server import SmtpServer, parse_mail_from
from coach_graph.mail.smtp import SmtpSender

MAIL_FROM = "Bright Path Coaching <no-reply@brightpath.test>"
PRACTICE = "Bright Path Coaching"


class Mailbox:
    """The aiosmtpd handler: keeps what arrives (raw bytes and envelope recipients)."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.raw)
        return [message_from_bytes(r, policy=policy.default) for r in raw]  # type: ignore[misc]

    async def wait_for(self, count: int, seconds: float = 10.0) -> list[EmailMessage]:
        """Poll (bounded) until `count` mails arrived: a real delivery, not a time rule. (The
        server runs on its own thread: polling is simpler than an event across loops.)"""
        deadline = time.monotonic() + seconds
        while len(self.raw) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return self.mails


class SmtpTestServer:
    def __init__(self, mailbox: Mailbox | None = None) -> None:
        self.mailbox = mailbox or Mailbox()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def server(self) -> SmtpServer:
        return SmtpServer(host="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def letterhead() -> Letterhead:
    return Letterhead(parse_mail_from(MAIL_FROM), PRACTICE)


def smtp_sender(db: Database, smtp_server: SmtpTestServer) -> SmtpSender:
    """The sender the app builds from the tests' settings (MEETING_URL_TEMPLATE's default)."""
    return SmtpSender(
        db,
        smtp_server.server,
        letterhead(),
        meeting_url_template=Settings().meeting_url_template,
    )


from tests.sessions.conftest import scene  # noqa: E402, F401  (the sessions tests' practice)
