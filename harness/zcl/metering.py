"""Metering cluster 0x0702: the consumption history an IHD shows (wire reference,
"Metering, cluster 0x0702").

zigpy's Metering is kept, not redefined. Checked against the wire reference (zigpy
2.4.0):

- Agrees: 0x0400 InstantaneousDemand int24; 0x0401-0x0404 current/previous day
  delivered/received uint24; 0x0305 HistoricalConsumptionFormatting (map8,
  NumberFormatting); Get Profile (client to server 0x00: IntervalChannel, EndTime,
  NumberOfPeriods) and Get Profile Response (server to client 0x00: EndTime, Status,
  ProfileIntervalPeriod, NumberOfPeriodsDelivered, then that many uint24 intervals) are
  octet-for-octet the reference's layouts. zigpy types IntervalChannel, Status and
  ProfileIntervalPeriod as uint8 where the reference says enum8: the same octet on the
  wire, left as zigpy has it.
- Missing: zigpy's attributes stop at 0x0416, so 0x0420-0x045C (previous days 2-8,
  current and previous weeks, weeks 2-5, current and previous months, months 2-13 -
  delivered and received - and HistoricalFreezeTime) are unknown to it. ``Metering``
  below subclasses zigpy's cluster to add them with the reference's types (days and
  weeks uint24, months uint32, freeze time uint16); registering it replaces zigpy's
  class for 0x0702.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import ZCLAttributeDef


def _missing_history() -> dict[str, ZCLAttributeDef]:
    """(name -> definition) for 0x0420-0x045C; received IDs are delivered + 1."""
    periods: list[tuple[int, str, type]] = []
    periods += [(0x0420 + (n - 2) * 2, f"previous_day{n}", t.uint24_t) for n in range(2, 9)]
    periods += [
        (0x0430, "current_week", t.uint24_t),
        (0x0432, "previous_week", t.uint24_t),
    ]
    periods += [(0x0434 + (n - 2) * 2, f"previous_week{n}", t.uint24_t) for n in range(2, 6)]
    periods += [
        (0x0440, "current_month", t.uint32_t),
        (0x0442, "previous_month", t.uint32_t),
    ]
    periods += [(0x0444 + (n - 2) * 2, f"previous_month{n}", t.uint32_t) for n in range(2, 14)]

    defs: dict[str, ZCLAttributeDef] = {}
    for attr_id, period, type_ in periods:
        for delta, side in ((0, "delivered"), (1, "received")):
            defs[f"{period}_consumption_{side}"] = ZCLAttributeDef(id=attr_id + delta, type=type_, access="r")
    defs["historical_freeze_time"] = ZCLAttributeDef(id=0x045C, type=t.uint16_t, access="r")
    return defs


class _MeteringAttributeDefs(smartenergy.Metering.AttributeDefs):
    pass


for _name, _definition in _missing_history().items():
    setattr(_MeteringAttributeDefs, _name, _definition)


class Metering(smartenergy.Metering):
    AttributeDefs = _MeteringAttributeDefs


class HistoryAttribute(NamedTuple):
    name: str
    type: type


# The delivered consumption history an IHD shows, in display order; the "received"
# counterpart of each is at id + 1.
_HISTORY_NAMES: Final = (
    ["currentday_consumption_delivered", "previousday_consumption_delivered"]
    + [f"previous_day{n}_consumption_delivered" for n in range(2, 9)]
    + ["current_week_consumption_delivered", "previous_week_consumption_delivered"]
    + [f"previous_week{n}_consumption_delivered" for n in range(2, 6)]
    + ["current_month_consumption_delivered", "previous_month_consumption_delivered"]
    + [f"previous_month{n}_consumption_delivered" for n in range(2, 14)]
)

HISTORY_ATTRIBUTES: Final[dict[int, HistoryAttribute]] = {
    int(d.id): HistoryAttribute(d.name, d.type) for d in (Metering.attributes_by_name[name] for name in _HISTORY_NAMES)
}

HISTORICAL_CONSUMPTION_FORMATTING: Final = 0x0305
HISTORICAL_FREEZE_TIME: Final = 0x045C
INSTANTANEOUS_DEMAND: Final = 0x0400

# The attributes a GB IHD reads to scale and label what it shows (SE 1.4, D.3.2.2.4).
CURRENT_SUMMATION_DELIVERED: Final = 0x0000
METERING_STATUS: Final = 0x0200
UNIT_OF_MEASURE: Final = 0x0300
MULTIPLIER: Final = 0x0301
DIVISOR: Final = 0x0302
SUMMATION_FORMATTING: Final = 0x0303
DEMAND_FORMATTING: Final = 0x0304
METERING_DEVICE_TYPE: Final = 0x0306


class IntervalChannel(t.enum8):
    """Get Profile's IntervalChannel (SE 1.4, D.3.3.3.1)."""

    Consumption_Delivered = 0x00
    Consumption_Received = 0x01


class ProfileStatus(t.enum8):
    """Get Profile Response's Status (SE 1.4, D.3.3.4.1, Table D-35)."""

    Success = 0x00
    Undefined_Interval_Channel_Requested = 0x01
    Interval_Channel_Not_Supported = 0x02
    Invalid_End_Time = 0x03
    More_Periods_Requested_Than_Can_Be_Returned = 0x04
    No_Intervals_Available_For_The_Requested_Time = 0x05


class ProfileIntervalPeriod(t.enum8):
    """Get Profile Response's ProfileIntervalPeriod (SE 1.4, Table D-36); GB keeps half-hours."""

    Daily = 0x00
    Sixty_Minutes = 0x01
    Thirty_Minutes = 0x02
    Fifteen_Minutes = 0x03


HALF_HOUR: Final = 1800  # seconds: GB's interval period
