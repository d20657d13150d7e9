"""The error codes of SPEC.md. Services raise these; the GraphQL layer turns them into errors with
`extensions.code`, and anything else into a masked INTERNAL error with a request id."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    # The service is overloaded (no database connection in time): HTTP 503 with Retry-After.
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    # Apollo's automatic persisted queries: a hash this service does not know yet (the client
    # then sends the document with it).
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


class AppError(Exception):
    """A refusal the user should see. `extensions` is read by graphql-core when it wraps us."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, object] = {"code": self.code.value, **details}


class Unauthenticated(AppError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "Log in first: a valid bearer token is required.") -> None:
        super().__init__(message)


class Forbidden(AppError):
    code = ErrorCode.FORBIDDEN


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND

    @classmethod
    def of(cls, what: str, ident: object) -> NotFound:
        return cls(f"No {what} with id {ident!s}.")


class BadUserInput(AppError):
    code = ErrorCode.BAD_USER_INPUT


class Conflict(AppError):
    code = ErrorCode.CONFLICT


class RateLimited(AppError):
    code = ErrorCode.RATE_LIMITED

    @classmethod
    def waiting(cls, message: str, seconds: float) -> RateLimited:
        """Refused for now: `extensions.retryAfter` is the whole seconds (at least 1) until
        another attempt is allowed."""
        return cls(message, retryAfter=max(1, math.ceil(seconds)))


class Unavailable(AppError):
    """No database connection (or write turn) freed up in time: try again in `retry_after` s."""

    code = ErrorCode.UNAVAILABLE

    def __init__(self, retry_after: int) -> None:
        super().__init__("The service is busy; try again shortly.", retryAfter=retry_after)
        self.retry_after = retry_after


async def require_row(
    session: AsyncSession, query: sa.Select[Row], what: str, ident: object
) -> Row:
    """The row `query` finds (its conditions say whose it must be: the viewer's own, else it
    answers like a missing one), else NOT_FOUND naming `what` and `ident`."""
    found = await session.scalar(query)
    if found is None:
        raise NotFound.of(what, ident)
    return found
