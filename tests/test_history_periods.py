"""The day/week/month periods of the history sets (harness.zcl.history_periods), in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harness.zcl.history_periods import current_start, previous
from harness.zcl.time import to_zcl_utc


def _z(*args: int) -> int:
    return int(to_zcl_utc(datetime(*args, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("now", "period", "start", "end"),
    [
        (_z(2026, 12, 1, 16, 50), "day", _z(2026, 11, 30), _z(2026, 12, 1)),
        (_z(2026, 12, 1, 16, 50), "week", _z(2026, 11, 23), _z(2026, 11, 30)),  # weeks begin on Monday
        (_z(2026, 1, 5), "week", _z(2025, 12, 29), _z(2026, 1, 5)),  # Monday midnight begins the current week
        (_z(2026, 3, 1, 23, 59), "week", _z(2026, 2, 16), _z(2026, 2, 23)),  # a Sunday is still that week
        (_z(2026, 1, 5), "month", _z(2025, 12, 1), _z(2026, 1, 1)),  # across a year
        (_z(2024, 3, 31, 23, 59), "month", _z(2024, 2, 1), _z(2024, 3, 1)),  # a leap February
    ],
)
def test_the_previous_period_is_the_whole_one_before_the_current(now: int, period: str, start: int, end: int) -> None:
    assert previous(period, now) == (start, end)  # type: ignore[arg-type]
    assert current_start(period, now) == end  # type: ignore[arg-type]
