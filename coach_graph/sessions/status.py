"""The status machine of SPEC.md: which moves a session may make, and when."""

from __future__ import annotations

from datetime import datetime, timedelta

from coach_graph.sessions.models import CoachingSession, SessionStatus

# A session still to happen (or happening): it holds its slot and can be joined, moved, cancelled.
LIVE = (SessionStatus.PENDING, SessionStatus.CONFIRMED)
NO_SHOW_AFTER = timedelta(minutes=10)

# The status machine of SPEC.md; COMPLETED <-> NO_SHOW is the coach's correction.
MOVES: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.PENDING: frozenset({SessionStatus.CONFIRMED, SessionStatus.CANCELLED}),
    SessionStatus.CONFIRMED: frozenset(
        {SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW}
    ),
    SessionStatus.COMPLETED: frozenset({SessionStatus.NO_SHOW}),
    SessionStatus.NO_SHOW: frozenset({SessionStatus.COMPLETED}),
    SessionStatus.CANCELLED: frozenset(),
}
# The order of the STATUS sort of a history.
STATUS_ORDER = {s: i for i, s in enumerate(SessionStatus)}


def transition_refusal(s: CoachingSession, target: SessionStatus, now: datetime) -> str | None:
    """Why the status of `s` may not become `target` now, or None when it may."""
    current = SessionStatus(s.status)
    if not MOVES[current]:
        return f"The session is {current.value}, which is final."
    if current == target:
        return f"The session is {current.value} already."
    if target not in MOVES[current]:
        allowed = ", ".join(sorted(m.value for m in MOVES[current]))
        return f"A {current.value} session can only become {allowed}, not {target.value}."
    if target == SessionStatus.COMPLETED and now < s.starts_at:
        return "A session can only be COMPLETED after its start time."
    if target == SessionStatus.NO_SHOW and now < s.starts_at + NO_SHOW_AFTER:
        return "A no-show can only be recorded 10 minutes after the start time or later."
    return None
