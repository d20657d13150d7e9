"""Passwords, bearer tokens and the Viewer (who is asking).

Passwords are hashed with argon2id (memory-hard). Tokens are 256 random bits handed to the user
once; only their SHA-256 is stored, with an expiry and a revocation time.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import col

from coach_graph import clock
from coach_graph.accounts.activity import ActivityRecorder
from coach_graph.accounts.models import AuthToken, Role, User
from coach_graph.db import Database
from coach_graph.errors import Forbidden, Unauthenticated

# A client's last-active time is written at most this often.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The authenticated user of a request or websocket connection."""

    id: int
    role: Role
    email: str
    name: str | None
    time_zone: str
    token_id: int
    token_expires_at: datetime

    @property
    def is_coach(self) -> bool:
        return self.role == Role.COACH

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise Unauthenticated()
    return viewer


def require_coach(viewer: Viewer | None) -> Viewer:
    viewer = require_viewer(viewer)
    if not viewer.is_coach:
        raise Forbidden("Only a coach can do this.")
    return viewer


def require_client(viewer: Viewer | None) -> Viewer:
    viewer = require_viewer(viewer)
    if not viewer.is_client:
        raise Forbidden("Only a client can do this.")
    return viewer


# Hashing runs on these threads, off the event loop (argon2 releases the GIL): as many at once
# as there are cores, so a burst of logins neither freezes other requests nor takes more memory
# than `cores x memory_kib`. Shared by the whole process, like its cores.
_HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="passwords")


class Passwords:
    """argon2id hashing with configurable cost (tests lower it; production uses the defaults).
    Both operations run on the hashing threads; call them with no database session open."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        # Verified against when the e-mail is unknown, so timing does not tell which exist.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(
            _HASHING, self._hasher.hash, password
        )

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            _HASHING, self._verify, password_hash, password
        )

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash or self._dummy, password)) and bool(
                password_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def issue_token(db: Database, user_id: int, ttl: timedelta) -> tuple[str, AuthToken]:
    """Create a token for the user; returns the plain token (shown once) and its row."""
    token = new_token()
    now = clock.now()
    row = AuthToken(
        user_id=user_id, token_hash=hash_token(token), created_at=now, expires_at=now + ttl
    )
    async with db.transaction() as session:
        session.add(row)
    return token, row


async def authenticate(
    db: Database, token: str | None, activity: ActivityRecorder
) -> Viewer | None:
    """The viewer a token stands for, or None when it is unknown, expired or revoked (one read
    of the database; see `Tokens` for the cached way HTTP requests take).

    Using a client's token marks the client active (noted for `activity` to write in the
    background, at most once a minute): one read, no write on the request's path.
    """
    if not token:
        return None
    found = await _look_up(db, hash_token(token))
    return None if found is None else _admit(found, activity)


@dataclass(slots=True)
class _Found:
    """What the database says of a token: its viewer, and the revocation and activity times."""

    viewer: Viewer
    revoked: bool
    last_active_at: datetime | None
    read_at: datetime


async def _look_up(db: Database, token_hash: str) -> _Found | None:
    async with db.read() as session:
        row = (
            await session.execute(
                sa.select(
                    col(AuthToken.id), col(AuthToken.expires_at), col(AuthToken.revoked_at), User
                )
                .join(User, col(User.id) == col(AuthToken.user_id))
                .where(col(AuthToken.token_hash) == token_hash)
            )
        ).first()
    if row is None:
        return None
    token_id, expires_at, revoked_at, user = row
    assert user.id is not None and token_id is not None
    viewer = Viewer(
        id=user.id,
        role=Role(user.role),
        email=user.email,
        name=user.name,
        time_zone=user.time_zone,
        token_id=token_id,
        token_expires_at=expires_at,
    )
    return _Found(viewer, revoked_at is not None, user.last_active_at, clock.now())


def _admit(found: _Found, activity: ActivityRecorder) -> Viewer | None:
    """The viewer of a live token (noting a client's activity), None for an ended one."""
    now = clock.now()
    if found.revoked or found.viewer.token_expires_at <= now:
        return None
    if found.viewer.is_client and (
        found.last_active_at is None or now - found.last_active_at >= ACTIVITY_RESOLUTION
    ):
        activity.note(found.viewer.id, now)
        found.last_active_at = now
    return found.viewer


class Tokens:
    """Bearer tokens as HTTP requests check them: what the database said of a token is kept
    for `ttl` seconds (at most `size` tokens), so a dashboard's burst of requests reads it once.

    Concurrent requests with the same token share one read (a thousand sockets opening at once
    with one dashboard's token read it once); should the request reading it go away, the others
    read it again.

    Revocation: a logout in this process `forget`s its token at once (a lookup that was under
    way when it happened is not kept); a logout in another worker takes effect here within `ttl`
    seconds. Expiry is checked on every use, against the clock. `ttl` 0: every request reads.
    """

    def __init__(
        self, db: Database, activity: ActivityRecorder, ttl: float, size: int = 10_000
    ) -> None:
        self.db = db
        self.activity = activity
        self.ttl = timedelta(seconds=ttl)
        self.size = size
        self._found: dict[str, _Found] = {}
        self._forgotten = 0  # counts `forget` calls: a lookup spanning one is not kept
        self._reading: dict[str, asyncio.Future[_Found | None]] = {}

    async def viewer(self, token: str | None) -> Viewer | None:
        if not token:
            return None
        key = hash_token(token)
        found = self._found.get(key)
        if found is None or clock.now() - found.read_at >= self.ttl:
            found = await self._read(key)
            if found is None:
                return None
        return _admit(found, self.activity)

    async def _read(self, key: str) -> _Found | None:
        """The database's word on a token: the first request reads it (in its own read scope,
        no task of its own), the requests that ask meanwhile wait for that read."""
        reading = self._reading.get(key)
        if reading is not None:
            try:
                return await asyncio.shield(reading)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not reading.cancelled() or (task is not None and task.cancelling()):
                    raise
            return await self._read(key)  # the first reader went away: read again
        reading = asyncio.get_running_loop().create_future()
        self._reading[key] = reading
        try:
            found = await self._read_and_keep(key)
        except asyncio.CancelledError:
            reading.cancel()
            raise
        except BaseException as exc:
            reading.set_exception(exc)
            reading.exception()  # retrieved: nobody may be waiting
            raise
        else:
            reading.set_result(found)
        finally:
            if self._reading.get(key) is reading:
                del self._reading[key]
        return found

    async def _read_and_keep(self, key: str) -> _Found | None:
        forgotten = self._forgotten
        found = await _look_up(self.db, key)
        if found is None:
            self._found.pop(key, None)
        elif self.ttl and forgotten == self._forgotten:
            self._keep(key, found)
        return found

    def forget(self, token_id: int) -> None:
        """The token was revoked here: never answer from what was read of it before."""
        self._forgotten += 1
        for key in [k for k, f in self._found.items() if f.viewer.token_id == token_id]:
            del self._found[key]

    def _keep(self, key: str, found: _Found) -> None:
        self._found.pop(key, None)
        if len(self._found) >= self.size:  # the oldest read goes first
            del self._found[next(iter(self._found))]
        self._found[key] = found
