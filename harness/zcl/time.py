"""ZCL UTC time helpers.

Wire reference, "Conventions": UTC = uint32 seconds since 2000-01-01T00:00:00Z (Unix =
UTC + 946684800). Two values are special in SE commands: 0 means "implement now"
(Publish Change of Tenancy's Implementation Date/Time, Display Message's StartTime) and
0xFFFFFFFF, ZCL's invalid time, which one implementation uses to cancel a pending
change. The Time cluster (0x000A) itself is zigpy's ``zigpy.zcl.clusters.general.Time``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import zigpy.types as t

ZCL_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
UNIX_OFFSET: Final = 946_684_800  # seconds from 1970-01-01 to 2000-01-01
ZCL_EPOCH_UNIX: Final = UNIX_OFFSET  # the same: ZCL_EPOCH as a Unix timestamp
IMPLEMENT_NOW: Final = 0
CANCEL: Final = 0xFFFF_FFFF
INVALID: Final = CANCEL  # the same octets; ZCL calls them "invalid time"


def to_zcl_utc(when: datetime) -> t.UTCTime:
    """Seconds since ZCL_EPOCH for a timezone-aware datetime (sub-seconds dropped).

    Naive datetimes are refused: guessing a zone would shift every time the bench sends.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}: give it a timezone (e.g. UTC)")

    seconds = (when - ZCL_EPOCH) // timedelta(seconds=1)

    # 0 and 0xFFFFFFFF are legal datetimes but mean "now"/"cancel" on the wire.
    if not 0 <= seconds < CANCEL:
        raise ValueError(f"{when.isoformat()} is outside the ZCL UTC range")

    return t.UTCTime(seconds)


def from_zcl_utc(value: int) -> datetime:
    """The datetime a ZCL UTC value names (aware, UTC).

    0 and 0xFFFFFFFF convert arithmetically; callers that care about "now"/"cancel" must
    test for IMPLEMENT_NOW and CANCEL first (see ``format_zcl_utc``).
    """
    if not 0 <= value <= CANCEL:
        raise ValueError(f"{value} is not a uint32 ZCL UTC value")

    return ZCL_EPOCH + timedelta(seconds=int(value))


def zcl_utc_from_unix(unix_seconds: float) -> t.UTCTime:
    return to_zcl_utc(datetime.fromtimestamp(unix_seconds, tz=UTC))


def unix_from_zcl_utc(value: int) -> int:
    return int(value) + UNIX_OFFSET


def format_zcl_utc(value: int) -> str:
    """Log-friendly text: the ISO time, or the special meaning of 0 and 0xFFFFFFFF."""
    if value == IMPLEMENT_NOW:
        return "0 (now)"
    if value == CANCEL:
        return "0xFFFFFFFF (invalid/cancel)"
    return f"0x{int(value):08X} ({from_zcl_utc(value).strftime('%Y-%m-%dT%H:%M:%SZ')})"
