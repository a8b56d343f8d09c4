"""The periods of the consumption and cost history sets, in ZCL UTC seconds.

Metering's Previous Day/Week/Month Consumption Delivered (SE 1.4, D.3.2.2.5) and
Prepayment's Historical Cost Consumption set hold the day, week and month before the current
one. The boundaries are UTC midnights: the day's, the week's (Monday, ISO 8601, as GB meters
count weeks) and the month's (its first day). A GB meter that keeps local time (UK time, UTC
or UTC+1) closes each of its periods at or before the UTC one, so a period that ends by the
UTC boundary ends by the meter's too: judging against the UTC boundary never calls a
period "wholly before" that is not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from harness.zcl.time import UNIX_OFFSET

Period = Literal["day", "week", "month"]
PERIODS: Final[tuple[Period, ...]] = ("day", "week", "month")
DAY: Final = 86_400


def _as_datetime(zcl: int) -> datetime:
    return datetime.fromtimestamp(zcl + UNIX_OFFSET, tz=UTC)


def _as_zcl(when: datetime) -> int:
    return int(when.timestamp()) - UNIX_OFFSET


def current_start(period: Period, zcl_now: int) -> int:
    """The start (ZCL UTC) of the day, week or month `zcl_now` lies in."""
    midnight = zcl_now // DAY * DAY
    if period == "day":
        return midnight
    if period == "week":
        return midnight - _as_datetime(midnight).weekday() * DAY
    return _as_zcl(_as_datetime(midnight).replace(day=1))


def previous(period: Period, zcl_now: int) -> tuple[int, int]:
    """[start, end) of the period before the current one: what Previous Day/Week/Month reads."""
    end = current_start(period, zcl_now)
    if period == "day":
        return end - DAY, end
    if period == "week":
        return end - 7 * DAY, end
    first = _as_datetime(end) - timedelta(days=1)
    return _as_zcl(first.replace(day=1)), end
