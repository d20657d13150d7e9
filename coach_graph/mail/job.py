"""The outbox sender job: every worker runs it (the lease lets one at a time do the work), each
commit that queued mail rings its doorbell, and a short interval catches mail queued by another
worker, so a mail leaves within seconds while the mail server is up. Without SMTP_URL the
messages are only logged."""

from __future__ import annotations

from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.jobs import Job
from coach_graph.mail.compose import Letterhead
from coach_graph.mail.server import parse_mail_from
from coach_graph.mail.smtp import SmtpSender
from coach_graph.outbox.service import OUTBOX_DOORBELL, LogSender, Sender, SendReport, drain

# The timer behind the doorbell: mail queued in another worker leaves within this long.
INTERVAL_SECONDS = 5.0


def mail_sender(db: Database, settings: Settings) -> Sender:
    """The SMTP sender when SMTP_URL is set, else the log sender."""
    if settings.smtp is None:
        return LogSender()
    letterhead = Letterhead(parse_mail_from(settings.mail_from), settings.practice_name)
    return SmtpSender(
        db, settings.smtp, letterhead, meeting_url_template=settings.meeting_url_template
    )


async def send_outbox(resources: Resources) -> SendReport:
    """Deliver every message that is due."""
    return await drain(resources.db, mail_sender(resources.db, resources.settings))


def outbox_job(interval_seconds: float = INTERVAL_SECONDS) -> Job:
    return Job(
        "outbox.send", send_outbox, interval_seconds=interval_seconds, doorbell=OUTBOX_DOORBELL
    )
