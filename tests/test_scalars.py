"""The DateTime scalar's answers: ISO-8601 in UTC with a Z, whatever zone a value holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from coach_graph.gql import _serialize_datetime


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 3, 9, 30, tzinfo=UTC),  # as the database gives it
        datetime(2026, 12, 3, 9, 30),  # naive: stored UTC
        datetime(2026, 12, 3, 10, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_date_times_are_answered_in_utc_with_a_z(value: datetime) -> None:
    assert _serialize_datetime(value) == "2026-12-03T09:30:00Z"


def test_microseconds_are_kept() -> None:
    value = datetime(2026, 12, 3, 9, 30, 0, 120, tzinfo=UTC)
    assert _serialize_datetime(value) == "2026-12-03T09:30:00.000120Z"
