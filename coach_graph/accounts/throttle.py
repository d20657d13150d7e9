"""Throttling by client address: who the client is (`client_address`) and how often it may fail
at something (`Throttle`): failed logins today, sign-ups later.

Counted attempts are rows of `rate_event`, so every worker of the service sees the same counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.requests import HTTPConnection

from coach_graph import clock
from coach_graph.accounts.models import RateEvent
from coach_graph.config import Settings
from coach_graph.errors import RateLimited

# The longest forwarded address we keep (an IPv6 address is at most 45 characters).
_MAX_ADDRESS = 64


def client_address(connection: HTTPConnection, settings: Settings) -> str:
    """The client's IP address: the socket peer, unless the peer is a trusted proxy
    (`TRUSTED_PROXIES`); then the right-most X-Forwarded-For entry that is not a trusted proxy
    (entries further left are whatever the client chose to send)."""
    peer = connection.client.host if connection.client else ""
    if not _trusted(peer, settings):
        return peer
    forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, settings):
            return _normalised(hop)
    return _normalised(hops[0]) if hops else peer


def _parsed(address: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(address)
    except ValueError:
        return None


def _normalised(address: str) -> str:
    parsed = _parsed(address)
    return str(parsed) if parsed is not None else address[:_MAX_ADDRESS]


def _trusted(address: str, settings: Settings) -> bool:
    parsed = _parsed(address)
    return parsed is not None and any(parsed in net for net in settings.trusted_proxies)


@dataclass(frozen=True)
class Throttle:
    """At most `limit` counted attempts per key within `window`; the next one is refused with
    RATE_LIMITED and `retryAfter` (seconds until the oldest counted attempt expires)."""

    name: str
    limit: int
    window: timedelta

    def bucket(self, key: str) -> str:
        # Hashed: fixed length whatever the key, and no e-mail address stored in the clear.
        return f"{self.name}:{hashlib.sha256(key.encode()).hexdigest()[:48]}"

    async def check(self, session: AsyncSession, key: str, message: str) -> None:
        """Refuse (RateLimited) when `key` used up its attempts."""
        now = clock.now()
        # The limit-th newest attempt still counted: once it expires, one more is allowed.
        expires_at = await session.scalar(
            sa.select(col(RateEvent.expires_at))
            .where(col(RateEvent.bucket) == self.bucket(key), col(RateEvent.expires_at) > now)
            .order_by(col(RateEvent.expires_at).desc())
            .offset(self.limit - 1)
            .limit(1)
        )
        if expires_at is not None:
            raise RateLimited.waiting(message, (clock.as_utc(expires_at) - now).total_seconds())

    async def count(self, session: AsyncSession, key: str) -> None:
        """Count one attempt for `key` (inside the caller's transaction); expired attempts of
        every bucket are forgotten on the way."""
        now = clock.now()
        await session.execute(sa.delete(RateEvent).where(col(RateEvent.expires_at) <= now))
        session.add(RateEvent(bucket=self.bucket(key), expires_at=now + self.window))

    async def forget(self, session: AsyncSession, key: str) -> None:
        """Forget every attempt of `key` (e.g. after a successful login)."""
        await session.execute(sa.delete(RateEvent).where(col(RateEvent.bucket) == self.bucket(key)))
