"""The periods of the consumption and cost history sets, in ZCL UTC seconds.

Metering's Previous Day/Week/Month Consumption Delivered (SE 1.4, D.3.2.2.5) and
Prepayment's Historical Cost Consumption set hold the day, week and month before the current
one. The boundaries are midnights: the day's, the week's (Monday, ISO 8601, as GB meters
count weeks) and the month's (its first day). The reference meters count them at UTC
midnight (the default calendar here); a GB meter may count them in UK local time
(Europe/London: UTC in winter, UTC+1 in British Summer Time) instead.

Neither calendar's period always ends first. Through most of a BST day the local midnight
(23:00 UTC the day before) comes before the UTC one, but between 23:00 and 24:00 UTC the local
day, and with it a local week or month, has already rolled over: the local "previous" period
then ended at 23:00 UTC today, an hour before which the CoT may lie. So a period is "wholly
before" a CoT only when it ended by it in both calendars (`wholly_before`): judging against
UTC alone would fail a correct local-time meter whose previous day holds the new occupier's
hour.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final, Literal
from zoneinfo import ZoneInfo

from harness.zcl.time import UNIX_OFFSET

Period = Literal["day", "week", "month"]
PERIODS: Final[tuple[Period, ...]] = ("day", "week", "month")
DAY: Final = 86_400


@functools.cache
def calendars() -> dict[str, tzinfo]:
    """The calendars a GB meter may count its periods in, by the name the evidence gives them:
    UTC and UK local time, from the system's tz database (zoneinfo). Looked up when first
    judged, not on import: a host without the database breaks the judgement (ZoneInfoNotFoundError)
    and nothing else."""
    return {"UTC": UTC, "Europe/London": ZoneInfo("Europe/London")}


def _as_datetime(zcl: int) -> datetime:
    return datetime.fromtimestamp(zcl + UNIX_OFFSET, tz=UTC)


def _as_zcl(when: datetime) -> int:
    return int(when.timestamp()) - UNIX_OFFSET


def _midnight(day: date, zone: tzinfo) -> int:
    """The ZCL UTC second `day` begins in `zone` (a UK midnight is never skipped or repeated:
    the clocks change at 01:00 UTC)."""
    return _as_zcl(datetime.combine(day, time(), tzinfo=zone))


def _local_date(zcl: int, zone: tzinfo) -> date:
    return _as_datetime(zcl).astimezone(zone).date()


def current_start(period: Period, zcl_now: int, zone: tzinfo = UTC) -> int:
    """The start (ZCL UTC) of the day, week or month `zcl_now` lies in, counted in `zone`."""
    day = _local_date(zcl_now, zone)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return _midnight(day, zone)


def previous(period: Period, zcl_now: int, zone: tzinfo = UTC) -> tuple[int, int]:
    """[start, end) of the period before the current one, counted in `zone`: what Previous
    Day/Week/Month reads. Counted in calendar days, so a local day across a clock change is
    23 or 25 hours long."""
    end = current_start(period, zcl_now, zone)
    last = _local_date(end, zone) - timedelta(days=1)  # the previous period's last day
    if period == "day":
        first = last
    elif period == "week":
        first = last - timedelta(days=6)
    else:
        first = last.replace(day=1)
    return _midnight(first, zone), end


def wholly_before(period: Period, zcl_now: int, boundary: int) -> bool:
    """Whether the period before the one `zcl_now` lies in ended by `boundary` in every
    calendar a GB meter may count it in (`calendars`): only then is it wholly the previous
    occupier's, whichever the meter counts in."""
    return all(previous(period, zcl_now, zone)[1] <= boundary for zone in calendars().values())


def nth_previous(period: Period, zcl_now: int, n: int, zone: tzinfo = UTC) -> tuple[int, int]:
    """[start, end) of the n-th period before the current one (n=1: `previous`), counted in
    `zone`: what Previous Day n / Week n / Month n reads (Metering 0x0420.., Prepayment 0x0520..)."""
    if n < 1:
        raise ValueError(f"n counts periods back from the current one, from 1; got {n}")
    start, end = previous(period, zcl_now, zone)
    for _ in range(n - 1):
        start, end = previous(period, start, zone)  # `start` lies in the period just found
    return start, end


def nth_wholly_before(period: Period, zcl_now: int, n: int, boundary: int) -> bool:
    """`wholly_before` for the n-th previous period: it ended by `boundary` in every calendar."""
    return all(nth_previous(period, zcl_now, n, zone)[1] <= boundary for zone in calendars().values())
