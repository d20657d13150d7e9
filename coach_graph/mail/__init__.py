"""E-mail: outbox messages composed as multipart mails with iCalendar invitations and sent
through SMTP (when SMTP_URL is set)."""
