"""Fixtures of the calendar feed tests: the sessions tests' scene and the mail tests' real SMTP
server (the feed's events are compared with the mails' invitations)."""

from __future__ import annotations

from tests.mail.conftest import smtp_server  # noqa: F401  (the fixture, shared)
from tests.sessions.conftest import scene  # noqa: F401  (the fixture, shared)
