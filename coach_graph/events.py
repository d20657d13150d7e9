"""Domain events: how a change in one domain reaches the domains that react to it.

A domain that changes something others care about records an event on the unit of work
(`record(session, SessionBooked(...))`); the event is a frozen dataclass defined in the recording
domain's own `events.py`. A domain that reacts subscribes a handler to the event's class
(`subscribe(SessionBooked, handler)`), and `reactions.wire()` (the composition root) makes every
subscription, so a lower domain never imports the domain that reacts to it.

The unit of work (`db.transaction()`) runs the handlers of every recorded event when its block
ends, before it commits, inside the same transaction: a reaction's writes (a notification, a
webhook delivery, a resolved alert) commit with the change or roll back with it, and a handler
that raises refuses the change. Handlers may record further events; they run in turn. What must
happen only after the commit (a live push, waking a sender) is asked for with
`db.publish_after_commit` / `db.after_commit`, as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

Event = TypeVar("Event")
Handler = Callable[[AsyncSession, Any], Awaitable[object]]

_RECORDED = "coach_graph.domain_events"
_handlers: defaultdict[type, list[Handler]] = defaultdict(list)
_wired = False  # set by reactions.wire(): before it, a recorded event would reach no one


class NotWired(RuntimeError):
    """An event was recorded in a process that never subscribed the domains' reactions."""


def record(session: AsyncSession, event: object) -> None:
    """Tell the domains that react to `event` (run before the transaction of `session` commits)."""
    session.info.setdefault(_RECORDED, []).append(event)


def subscribe(
    event_type: type[Event], handler: Callable[[AsyncSession, Event], Awaitable[object]]
) -> None:
    """Run `handler(session, event)` for every recorded event of `event_type` (once per handler)."""
    handlers = _handlers[event_type]
    if handler not in handlers:
        handlers.append(handler)


def mark_wired() -> None:
    """Every reaction is subscribed (called by `reactions.wire()`)."""
    global _wired
    _wired = True


def handlers_of(event_type: type) -> tuple[Handler, ...]:
    """The handlers subscribed to `event_type`, in subscription order."""
    return tuple(_handlers.get(event_type, ()))


async def dispatch(session: AsyncSession) -> None:
    """Run the handlers of every event recorded on `session`, including events they record.
    In a process that never called `reactions.wire()` this refuses the change (NotWired) rather
    than lose its effects on other domains (a script seeding through the services, say)."""
    while recorded := session.info.pop(_RECORDED, None):
        if not _wired:
            raise NotWired(
                "coach_graph.reactions.wire() was not called in this process: the other "
                "domains would miss what this change did."
            )
        for event in recorded:
            for handler in handlers_of(type(event)):
                await handler(session, event)
