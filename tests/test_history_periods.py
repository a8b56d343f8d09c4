"""The day/week/month periods of the history sets (harness.zcl.history_periods), in UTC and in
UK local time (Europe/London, GMT and BST), and when a period is wholly before a CoT in both."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from harness.zcl.history_periods import (
    calendars,
    current_start,
    nth_previous,
    nth_wholly_before,
    previous,
    wholly_before,
)
from harness.zcl.time import to_zcl_utc

UK = ZoneInfo("Europe/London")


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


def _uk(*args: int) -> int:
    """A UK local wall-clock time (Europe/London), as ZCL UTC."""
    return int(to_zcl_utc(datetime(*args, tzinfo=UK)))


@pytest.mark.parametrize(
    ("now", "period", "start", "end"),
    [
        # GMT: UK local time is UTC, the periods are the UTC ones.
        (_z(2026, 12, 1, 23, 10), "day", _z(2026, 11, 30), _z(2026, 12, 1)),
        (_z(2026, 12, 1, 23, 10), "month", _z(2026, 11, 1), _z(2026, 12, 1)),
        # BST before 23:00 UTC: the local day began at 23:00 UTC the day before.
        (_z(2026, 7, 1, 22, 50), "day", _z(2026, 6, 29, 23), _z(2026, 6, 30, 23)),
        # BST between 23:00 and 24:00 UTC: the local day, week and month have rolled already.
        (_z(2026, 7, 1, 23, 10), "day", _z(2026, 6, 30, 23), _z(2026, 7, 1, 23)),
        (_z(2026, 7, 5, 23, 10), "week", _z(2026, 6, 28, 23), _z(2026, 7, 5, 23)),  # Sunday UTC, Monday local
        (_z(2026, 6, 30, 23, 10), "month", _z(2026, 5, 31, 23), _z(2026, 6, 30, 23)),
        # Across the clock changes the local day is 23 h (29 March 2026) or 25 h (25 October 2026).
        (_z(2026, 3, 30, 12), "day", _uk(2026, 3, 29), _uk(2026, 3, 30)),
        (_z(2026, 10, 26, 12), "day", _uk(2026, 10, 25), _uk(2026, 10, 26)),
        (_z(2026, 4, 1, 12), "month", _z(2026, 3, 1), _z(2026, 3, 31, 23)),  # March began in GMT, ended in BST
    ],
)
def test_the_previous_period_in_uk_local_time(now: int, period: str, start: int, end: int) -> None:
    assert previous(period, now, UK) == (start, end)  # type: ignore[arg-type]
    assert current_start(period, now, UK) == end  # type: ignore[arg-type]


def test_a_uk_local_day_across_the_clock_changes_is_23_or_25_hours() -> None:
    spring, autumn = previous("day", _z(2026, 3, 30, 12), UK), previous("day", _z(2026, 10, 26, 12), UK)
    assert (spring[1] - spring[0], autumn[1] - autumn[0]) == (23 * 3600, 25 * 3600)


@pytest.mark.parametrize(
    ("period", "cot", "now", "judged"),
    [
        # GMT, 23:10 UTC: both calendars' previous day ended at midnight, before a 22:30 CoT.
        ("day", _z(2026, 12, 1, 22, 30), _z(2026, 12, 1, 23, 10), True),
        # BST, the same hours: the UTC day ended at midnight, but a local-time meter's previous
        # day ended at 23:00 UTC, after the CoT: it holds the new occupier's half-hour.
        ("day", _z(2026, 7, 1, 22, 30), _z(2026, 7, 1, 23, 10), False),
        # BST before 23:00 UTC: both previous days ended before the CoT.
        ("day", _z(2026, 7, 1, 22, 30), _z(2026, 7, 1, 22, 50), True),
        # BST, a CoT after the local midnight: both ended by it, so a stale meter is still caught.
        ("day", _z(2026, 7, 1, 23, 30), _z(2026, 7, 1, 23, 40), True),
        # BST, a CoT just before UTC midnight read after it: the UTC day ends after the CoT.
        ("day", _z(2026, 7, 1, 23, 30), _z(2026, 7, 2, 0, 10), False),
        # BST week: Sunday 23:10 UTC is Monday locally; a CoT at 22:00 UTC that Sunday.
        ("week", _z(2026, 7, 5, 22), _z(2026, 7, 5, 23, 10), False),
        ("week", _z(2026, 7, 5, 22), _z(2026, 7, 5, 22, 50), True),
        # GMT week, the same Sunday hours in winter: the local week has not rolled.
        ("week", _z(2026, 12, 6, 22), _z(2026, 12, 6, 23, 10), True),
        # BST month: 30 June 23:10 UTC is 1 July locally.
        ("month", _z(2026, 6, 30, 22), _z(2026, 6, 30, 23, 10), False),
        ("month", _z(2026, 6, 30, 23, 5), _z(2026, 6, 30, 23, 10), True),
        # GMT month end: UTC and local roll together at midnight.
        ("month", _z(2026, 11, 30, 23, 50), _z(2026, 12, 1, 0, 10), False),
        ("month", _z(2026, 12, 1, 0, 5), _z(2026, 12, 1, 0, 10), True),
    ],
)
def test_a_period_is_wholly_before_the_cot_only_when_it_ended_by_it_in_utc_and_uk_time(
    period: str, cot: int, now: int, judged: bool
) -> None:
    assert wholly_before(period, now, cot) is judged  # type: ignore[arg-type]
    # and that is: ended by the CoT in each calendar a GB meter may count in
    ends = [previous(period, now, zone)[1] for zone in calendars().values()]  # type: ignore[arg-type]
    assert judged is all(end <= cot for end in ends)


def test_the_uk_calendar_is_the_systems_europe_london() -> None:
    assert calendars() == {"UTC": UTC, "Europe/London": UK}


@pytest.mark.parametrize(
    ("now", "period", "n", "start", "end"),
    [
        (_z(2026, 12, 1, 16, 50), "day", 1, _z(2026, 11, 30), _z(2026, 12, 1)),
        (_z(2026, 12, 1, 16, 50), "day", 8, _z(2026, 11, 23), _z(2026, 11, 24)),  # Previous Day 8
        (_z(2026, 12, 1, 16, 50), "week", 5, _z(2026, 10, 26), _z(2026, 11, 2)),  # Previous Week 5
        (_z(2026, 1, 5), "month", 13, _z(2024, 12, 1), _z(2025, 1, 1)),  # Previous Month 13, two years
    ],
)
def test_the_nth_previous_period_counts_back_whole_periods(now: int, period: str, n: int, start: int, end: int) -> None:
    assert nth_previous(period, now, n) == (start, end)  # type: ignore[arg-type]


def test_an_older_period_is_wholly_before_a_cot_in_the_bst_hour_when_the_previous_one_is_not() -> None:
    # 23:30 UTC in BST: the UK local day rolled at 23:00, so the local previous day ends after a
    # CoT at 22:50 (not judged), but Previous Day 2 ended by 00:00 UTC today in both calendars.
    now, cot = _z(2026, 7, 1, 23, 30), _z(2026, 7, 1, 22, 50)
    assert not wholly_before("day", now, cot)
    assert nth_wholly_before("day", now, 2, cot)
    with pytest.raises(ValueError, match="from 1"):
        nth_previous("day", now, 0)
