"""Logging in and out, and creating users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlmodel import col

from coach_graph import clock, events
from coach_graph.accounts.events import UserAdded
from coach_graph.accounts.models import AuthToken, Role, User
from coach_graph.accounts.throttle import Throttle
from coach_graph.auth import Passwords, Tokens, Viewer, issue_token, require_viewer
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.errors import BadUserInput, Conflict, Unauthenticated
from coach_graph.text import NAME, checked_text

# The shortest password a person may choose when signing up.
SIGN_UP_PASSWORD = 10


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


def normalise_email(email: str) -> str:
    """An e-mail address as accounts store it (checked like every text: no control characters;
    PostgreSQL refuses a NUL outright)."""
    return checked_text(email, "email", 320).strip().lower()


def checked_email(email: str) -> str:
    """A new account's e-mail address, normalised like login does (`normalise_email`), with one
    "@" between a non-empty local part and domain and no space inside."""
    email = normalise_email(email)
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or any(ch.isspace() for ch in email):
        raise BadUserInput(f"{email!r} is not a valid e-mail address.", field="email")
    return email


def login_throttles(settings: Settings) -> tuple[Throttle, Throttle]:
    """Failed logins: per account and client address, and per client address across accounts.
    Nobody can lock an account: another address still logs in."""
    return (
        Throttle("login", settings.login_max_failures, settings.login_window),
        Throttle("login-address", settings.login_max_failures_per_address, settings.login_window),
    )


async def login(
    db: Database,
    passwords: Passwords,
    settings: Settings,
    email: str,
    password: str,
    address: str,
) -> LoginResult:
    """Check the password and issue a token. Repeated failures from a client address are
    refused for a while (RATE_LIMITED with `retryAfter`). The password is verified with no
    database connection held."""
    email = normalise_email(email)
    per_account, per_address = login_throttles(settings)
    account_key = f"{email} {address}"
    async with db.read() as session:
        await per_address.check(
            session, address, "Too many failed logins from this address; try again later."
        )
        await per_account.check(
            session, account_key, "Too many failed logins for this account; try again later."
        )
        user = await session.scalar(sa.select(User).where(col(User.email) == email))
    if not await passwords.verify(user.password_hash if user else None, password) or user is None:
        async with db.transaction() as session:
            await per_account.count(session, account_key)
            await per_address.count(session, address)
        raise Unauthenticated("Wrong e-mail address or password.")
    async with db.transaction() as session:
        await per_account.forget(session, account_key)
    assert user.id is not None
    token, row = await issue_token(db, user.id, settings.token_ttl)
    return LoginResult(token=token, expires_at=row.expires_at, user=user)


async def logout(db: Database, tokens: Tokens, viewer: Viewer | None) -> bool:
    """Revoke the token the viewer used (at once for this process's token checks)."""
    viewer = require_viewer(viewer)
    async with db.transaction() as session:
        await session.execute(
            sa.update(AuthToken)
            .where(col(AuthToken.id) == viewer.token_id)
            .values(revoked_at=clock.now())
        )
    tokens.forget(viewer.token_id)
    return True


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(name: str) -> str:
    """`name` when the IANA database knows it, else BAD_USER_INPUT."""
    if name not in _time_zones():
        raise BadUserInput(
            f"Unknown time zone {name[:64]!r}; use an IANA name like Europe/Paris.",
            field="timeZone",
        )
    return name


async def add_user(
    db: Database,
    passwords: Passwords,
    *,
    role: Role,
    email: str,
    password: str,
    name: str | None = None,
    time_zone: str = "UTC",
    coach_email: str | None = None,
    is_premium: bool = False,
    settings: Settings | None = None,
) -> User:
    """Create a coach or a client; a client given `coach_email` is linked with consent PENDING.
    A new coach starts with the default services, calendar and availability (`settings` gives
    the prices; the environment's when omitted)."""
    email = checked_email(email)
    if len(password) < 8:
        raise BadUserInput("A password needs at least 8 characters.")
    name = checked_text(name, "name", NAME)
    validate_time_zone(time_zone)
    password_hash = await passwords.hash(password)  # before the transaction: it is slow
    try:
        return await _insert_user(
            db, role, email, name, password_hash, time_zone, coach_email, is_premium, settings
        )
    except sa.exc.IntegrityError:  # a concurrent sign-up of the address won the unique index
        raise _taken(email) from None


def _taken(email: str) -> Conflict:
    return Conflict(f"A user with e-mail {email} exists already.")


async def _insert_user(
    db: Database,
    role: Role,
    email: str,
    name: str | None,
    password_hash: str,
    time_zone: str,
    coach_email: str | None,
    is_premium: bool,
    settings: Settings | None,
) -> User:
    async with db.transaction() as session:
        if await session.scalar(sa.select(col(User.id)).where(col(User.email) == email)):
            raise _taken(email)
        coach: User | None = None
        if coach_email is not None:
            coach = await session.scalar(
                sa.select(User).where(
                    col(User.email) == normalise_email(coach_email),
                    col(User.role) == Role.COACH,
                )
            )
            if coach is None:
                raise BadUserInput(f"No coach with e-mail {coach_email}.")
            if role != Role.CLIENT:
                raise BadUserInput("Only a client can be linked to a coach.")
        user = User(
            role=role.value,
            email=email,
            name=name,
            password_hash=password_hash,
            time_zone=time_zone,
            is_premium=is_premium,
        )
        session.add(user)
        await session.flush()
        assert user.id is not None
        # Sessions set a new coach up; clients link a new client to their coach.
        events.record(
            session, UserAdded(user.id, role.value, coach.id if coach else None, settings)
        )
    return user


def sign_up_throttle(settings: Settings) -> Throttle:
    """Sign-ups per client address (every attempt counts, a taken address too), so addresses
    cannot be harvested at speed."""
    return Throttle("sign-up", settings.sign_ups_per_address, settings.sign_up_window)


async def sign_up(
    db: Database,
    passwords: Passwords,
    settings: Settings,
    *,
    email: str,
    password: str,
    name: str | None,
    time_zone: str | None,
    address: str,
) -> LoginResult:
    """A person without an account becomes a client and is logged in. Input is checked first
    (nothing counted); then the attempt counts against the client address (RATE_LIMITED past
    the limit); the password is hashed with no database connection held."""
    email = checked_email(email)
    if len(password) < SIGN_UP_PASSWORD:
        raise BadUserInput(
            f"A password needs at least {SIGN_UP_PASSWORD} characters.", field="password"
        )
    name = (checked_text(name, "name", NAME) or "").strip() or None
    time_zone = validate_time_zone(time_zone or "UTC")
    throttle = sign_up_throttle(settings)
    async with db.transaction() as session:
        await throttle.check(session, address, "Too many sign-ups from this address; try later.")
        await throttle.count(session, address)
    user = await add_user(
        db, passwords, role=Role.CLIENT, email=email, password=password, name=name,
        time_zone=time_zone, settings=settings,
    )  # fmt: skip
    assert user.id is not None
    token, row = await issue_token(db, user.id, settings.token_ttl)
    return LoginResult(token=token, expires_at=row.expires_at, user=user)
