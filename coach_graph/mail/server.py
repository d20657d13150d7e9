"""SMTP_URL and MAIL_FROM: parsed once when the settings are read, refused with a clear message."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

# scheme: (implicit TLS, STARTTLS required, default port)
SCHEMES = {
    "smtp": (False, False, 25),
    "smtps": (True, False, 465),
    "smtp+starttls": (False, True, 587),
}


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes: `smtp://`, `smtps://` (TLS from the start) or `smtp+starttls://`
    (upgraded with STARTTLS, which must succeed), with optional `user:password@`."""

    host: str
    port: int
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """Read an SMTP_URL; ValueError naming the problem (never the password) when it is bad."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"SMTP_URL is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(
            f"SMTP_URL must start with smtp://, smtps:// or smtp+starttls://, not {scheme!r}."
        )
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host (e.g. smtp://mail.example.com:25).")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("SMTP_URL takes no path or query: smtp://user:password@host:port.")
    if (parts.username is None) != (parts.password is None):
        raise ValueError("SMTP_URL needs both a user and a password, or neither.")
    use_tls, start_tls, default_port = SCHEMES[scheme]
    return SmtpServer(
        host=parts.hostname,
        port=port or default_port,
        use_tls=use_tls,
        start_tls=start_tls,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def parse_mail_from(value: str) -> Address:
    """Read MAIL_FROM ("Name <address@domain>" or a bare address)."""
    name, address = parseaddr(value)
    if not address or address.count("@") != 1 or not all(address.split("@")):
        raise ValueError(
            f"MAIL_FROM must be an e-mail address, e.g. 'Practice <no-reply@host>'; got {value!r}."
        )
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"MAIL_FROM is not a valid address: {exc}") from None
