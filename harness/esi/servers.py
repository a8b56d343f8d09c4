"""What an emulated GB meter answers, cluster by cluster, as declarative tables.

Each entry maps (cluster, client-to-server command) to the function producing the
answer from the meter's current state. Nothing here sends: the meter (meter.py) sends
what these return, once. An answer is one frame, or several for a log that does not fit
one secured radio frame (harness.zcl.limits, harness.zcl.logs), sent in their order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import zigpy.types as zt
from zigpy.zcl import foundation

from harness.domain import SERVED_COST_HISTORY, SERVED_HISTORY, Fuel
from harness.zcl import codec
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import ZclFrame
from harness.zcl.ids import BASIC, DEVICE_MANAGEMENT, MESSAGING, METERING, PREPAYMENT, TIME
from harness.zcl.limits import MAX_SECURED_ZCL_FRAME
from harness.zcl.logs import split_log
from harness.zcl.metering import (
    CURRENT_SUMMATION_DELIVERED,
    DEMAND_FORMATTING,
    DIVISOR,
    HISTORICAL_CONSUMPTION_FORMATTING,
    HISTORICAL_FREEZE_TIME,
    HISTORY_ATTRIBUTES,
    INSTANTANEOUS_DEMAND,
    METERING_STATUS,
    MULTIPLIER,
    SUMMATION_FORMATTING,
    UNIT_OF_MEASURE,
    IntervalChannel,
    ProfileIntervalPeriod,
    ProfileStatus,
)
from harness.zcl.prepayment import (
    GB_CREDIT_MODE,
    GB_PREPAYMENT_MODE,
    CreditStatus,
    DebtRecord,
    DebtRecoveryFrequency,
    ResultType,
    TopUpRecord,
)
from harness.zcl.time import INVALID, ZCL_EPOCH

if TYPE_CHECKING:
    from harness.esi.meter import EmulatedMeter

METERING_DEVICE_TYPE = 0x0306
T = foundation.DataTypeId
Answer = Callable[["EmulatedMeter", ZclFrame], bytes | list[bytes] | None]

# Device Management's Tenancy Control attributes before the meter's first CoT. The wire
# reference gives them no "none yet" value and GB's HAN lists do not make them optional, so
# a GB meter holds them from manufacture and answers a read SUCCESS: ZCL's invalid value of
# each type (ZCL 2.6.2: UTCTime 0xFFFFFFFF), which a client reads as "no CoT known". For the
# 32-bit control bitmap, which has no invalid value, no bit set: no change control proposed.
# Answering UNSUPPORTED_ATTRIBUTE instead would tell the unit the meter lacks the attributes.
NO_COT_UPDATE_TIME = 0xFFFFFFFF
NO_COT_CONTROL = 0x00000000

# The meter's own Metering attributes (not an occupier's: they describe the meter). Readings
# are Wh (electricity) or m3 * 1000 (gas), so both scale by multiplier 1 / divisor 1000 to
# kWh or m3; formatting (SE 1.4 D.3.2.2.4.4: bits 0-2 digits right of the point, 3-6 left,
# bit 7 suppress leading zeros) shows 6.3 digits, leading zeros suppressed.
UNIT_KWH, UNIT_M3 = 0x00, 0x01  # UnitOfMeasure, binary
GB_FORMATTING = 0x80 | 6 << 3 | 3
GB_COST_FORMATTING = 0x80 | 6 << 3 | 2  # pence as pounds: 2 digits right of the point
GBP = 826  # ISO 4217, Prepayment 0x0503 Currency
CURRENCY_SCALING = 0x00  # Prepayment 0x0502, as served; see docs/wire-reference.md
METER_REGISTER = {Fuel.ELECTRICITY: 12_345_678, Fuel.GAS: 2_345_678}  # 0x0000, the meter's register
METER_DEMAND = {Fuel.ELECTRICITY: 432, Fuel.GAS: 0}  # 0x0400 W: a gas meter reports no demand
DEBT_RECOVERY_TOP_UP_PERCENTAGE_3 = 2500  # 25.00 %, in 0.01 % (SE 1.4 D.7.2.2.3)
# Get Profile Response: 3 header + 4 end time + 1 status + 1 period + 1 number, then uint24s.
MAX_PROFILE_PERIODS = (MAX_SECURED_ZCL_FRAME - 10) // 3  # 18


def not_found(zcl: ZclFrame) -> bytes:
    return codec.default_response_to(zcl, foundation.Status.NOT_FOUND)


# -- attributes ---------------------------------------------------------------------------
def attribute_table(meter: EmulatedMeter, cluster_id: int) -> dict[int, tuple[foundation.DataTypeId, object]]:
    tenant = meter.tenant
    if cluster_id == METERING:
        return metering_table(meter.fuel, tenant.readings(meter.fuel))
    if cluster_id == PREPAYMENT:
        return prepayment_table(meter)
    if cluster_id == DEVICE_MANAGEMENT:
        if meter.cot is None:
            return {0x0200: (T.UTC, NO_COT_UPDATE_TIME), 0x0201: (T.map32, NO_COT_CONTROL)}
        return {0x0200: (T.UTC, meter.cot.implementation_time), 0x0201: (T.map32, meter.cot.change_control)}
    if cluster_id == TIME:
        return time_table(meter.zcl_time())
    if cluster_id == BASIC:
        return {0x0000: (T.uint8, 3)}
    return {}


# The last Metering table per fuel and the occupier's readings it was made from (held, so
# compared by identity): a unit polling its meter reads the same occupier's table each time.
_METERING_TABLES: dict[Fuel, tuple[Mapping[int, int], dict[int, tuple[foundation.DataTypeId, object]]]] = {}


def metering_table(fuel: Fuel, history: Mapping[int, int]) -> dict[int, tuple[foundation.DataTypeId, object]]:
    """The Metering attributes a meter serves: its own, and an occupier's history."""
    made = _METERING_TABLES.get(fuel)
    if made is not None and made[0] is history:
        return made[1]
    table: dict[int, tuple[foundation.DataTypeId, object]] = {
        METERING_DEVICE_TYPE: (T.map8, 0 if fuel is Fuel.ELECTRICITY else 1),
    }
    table |= meter_own_metering(fuel)
    for attr in SERVED_HISTORY:
        wide = HISTORY_ATTRIBUTES[attr].type is zt.uint32_t
        table[attr] = (T.uint32 if wide else T.uint24, history.get(attr, 0))
        # Received (delivered + 1): occupiers export nothing, so 0 (nothing to show).
        table[attr + 1] = (T.uint32 if wide else T.uint24, 0)
    _METERING_TABLES[fuel] = (history, table)
    return table


def meter_own_metering(fuel: Fuel) -> dict[int, tuple[foundation.DataTypeId, object]]:
    """What a GB IHD needs to scale and label the readings: the meter's, not an occupier's."""
    return {
        CURRENT_SUMMATION_DELIVERED: (T.uint48, METER_REGISTER[fuel]),
        METERING_STATUS: (T.map8, 0x00),  # no fault, no alarm
        UNIT_OF_MEASURE: (T.enum8, UNIT_KWH if fuel is Fuel.ELECTRICITY else UNIT_M3),
        MULTIPLIER: (T.uint24, 1),
        DIVISOR: (T.uint24, 1000),
        SUMMATION_FORMATTING: (T.map8, GB_FORMATTING),
        DEMAND_FORMATTING: (T.map8, GB_FORMATTING),
        HISTORICAL_CONSUMPTION_FORMATTING: (T.map8, GB_FORMATTING),
        INSTANTANEOUS_DEMAND: (T.int24, METER_DEMAND[fuel]),
        HISTORICAL_FREEZE_TIME: (T.uint16, 0x0000),  # days roll over at midnight
    }


def prepayment_table(meter: EmulatedMeter) -> dict[int, tuple[foundation.DataTypeId, object]]:
    """Prepayment 0x0705: the mode, the occupier's credit, debts and cost history."""
    tenant, fuel = meter.tenant, meter.fuel
    account, debts = tenant.account(fuel), tenant.debts(fuel)
    table: dict[int, tuple[foundation.DataTypeId, object]] = {
        0x0000: (T.map16, payment_control_configuration(meter)),
        0x0001: (T.int32, account.credit_remaining),
        0x0002: (T.int32, account.emergency_credit_remaining),
        0x0003: (T.map8, credit_status(meter)),
        0x0005: (T.int32, sum(d.outstanding for d in debts)),
        0x0500: (T.map8, GB_COST_FORMATTING),
        0x0501: (T.enum8, UNIT_KWH if fuel is Fuel.ELECTRICITY else UNIT_M3),
        0x0502: (T.enum8, CURRENCY_SCALING),
        0x0503: (T.uint16, GBP),
    }
    # GB publishes DebtAmount 1..3 (0x0211 + 0x10 * n): the outstanding debts.
    for n in range(3):
        amount = next((d.outstanding for d in debts if d.debt_type == n), 0)
        table[0x0211 + 0x10 * n] = (T.uint32, amount)
    # DebtRecoveryFrequency and DebtRecoveryAmount 1..2 (+6, +7): time-based recovery, daily.
    for n, amount in enumerate(account.debt_recovery_amounts[:2]):
        table[0x0216 + 0x10 * n] = (T.enum8, DebtRecoveryFrequency.Per_Day)
        table[0x0217 + 0x10 * n] = (T.uint32, amount)
    table[0x0239] = (T.uint16, DEBT_RECOVERY_TOP_UP_PERCENTAGE_3)  # DebtRecoveryTopUpPercentage 3
    costs = tenant.costs(fuel)
    for attr in SERVED_COST_HISTORY:
        table[attr] = (T.uint48, costs.get(attr, 0))
        table[attr + 1] = (T.uint48, 0)  # received: nothing exported
    return table


# -- Time (GB: Europe/London) -------------------------------------------------------------
GB_TIME_ZONE = 0  # seconds from UTC: GMT
GB_DST_SHIFT = 3600  # BST


def last_sunday_0100_utc(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of the month: when GB's summer time starts (March)
    and ends (October)."""
    first_of_next = datetime(year + month // 12, month % 12 + 1, 1, 1, tzinfo=UTC)
    last_day = first_of_next - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() - 6) % 7)


def time_table(now_zcl: int) -> dict[int, tuple[foundation.DataTypeId, object]]:
    """Time 0x000A as a GB meter serves it: UTC, status, and Europe/London's rules for the
    meter's current year (ZCL 3.12.2.2: DstStart/End UTC, StandardTime = Time + TimeZone,
    LocalTime = StandardTime + DstShift within summer time)."""
    year = (ZCL_EPOCH + timedelta(seconds=now_zcl)).year

    def zcl(moment: datetime) -> int:
        return int((moment - ZCL_EPOCH).total_seconds())

    dst_start, dst_end = zcl(last_sunday_0100_utc(year, 3)), zcl(last_sunday_0100_utc(year, 10))
    standard = now_zcl + GB_TIME_ZONE
    local = standard + (GB_DST_SHIFT if dst_start <= now_zcl < dst_end else 0)
    return {
        0x0000: (T.UTC, now_zcl),
        0x0001: (T.map8, 0b0000_0011),  # master, synchronised
        0x0002: (T.int32, GB_TIME_ZONE),
        0x0003: (T.uint32, dst_start),
        0x0004: (T.uint32, dst_end),
        0x0005: (T.int32, GB_DST_SHIFT),
        0x0006: (T.uint32, standard),
        0x0007: (T.uint32, local),
    }


EMERGENCY_CREDIT_SELECTED_BY = "emergency_credit_selected_by"  # meter attribute: the occupier's name


def emergency_credit_selected(meter: EmulatedMeter) -> bool:
    """Selected by the resident occupier (a new occupier starts without)."""
    return getattr(meter, EMERGENCY_CREDIT_SELECTED_BY, None) == meter.tenant.name


def credit_status(meter: EmulatedMeter) -> int:
    """Credit OK; on prepayment, emergency credit enabled and either available or selected."""
    if payment_control_configuration(meter) != GB_PREPAYMENT_MODE:
        return CreditStatus.Credit_OK
    chosen = (
        CreditStatus.Emergency_Credit_Selected
        if emergency_credit_selected(meter)
        else CreditStatus.Emergency_Credit_Available
    )
    return CreditStatus.Credit_OK | CreditStatus.Emergency_Credit_Enabled | chosen


def payment_control_configuration(meter: EmulatedMeter) -> int:
    """The GB value for the meter's payment mode. A meter keeps a top-up log only in
    prepayment mode, so an occupier with top-ups on this fuel is on prepayment."""
    return GB_PREPAYMENT_MODE if meter.tenant.top_ups(meter.fuel) else GB_CREDIT_MODE


def read_attributes(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    """The records of the asked attributes, as many as fit one secured frame (harness.zcl.limits).

    ZCL's Read Attributes Response carries the first records that fit and leaves the rest out:
    the client asks again for those it did not get (a unit reading nine uint24 history
    attributes needs 3 + 9 x 7 = 66 octets, one more than fits)."""
    return read_attributes_rsp(zcl, attribute_table(meter, zcl.cluster_id), limit=MAX_SECURED_ZCL_FRAME)


def get_profile(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    """The occupier's half-hourly intervals (SE 1.4 D.3.3.3.1, D.3.3.4.1): the most recent
    block whose end is at or before EndTime (0: the most recent of all), most recent first.

    Status: an IntervalChannel SE does not define is "undefined"; Consumption Received on a
    gas meter (it cannot export) "not supported"; EndTime 0xFFFFFFFF (ZCL's invalid UTCTime)
    "invalid end time"; no interval ending by EndTime "no intervals available"; more periods
    than one secured frame carries (MAX_PROFILE_PERIODS) "more periods requested than can be
    returned", with as many as fit. Every error answers the request's EndTime and no interval."""
    channel = int(zcl.fields["interval_channel"])
    end_time = int(zcl.fields["end_time"])
    wanted = int(zcl.fields["number_of_periods"])

    def response(status: ProfileStatus, end: int = end_time, intervals: list[int] | None = None) -> bytes:
        return codec.build(
            METERING,
            "get_profile_response",
            tsn=zcl.tsn,
            end_time=end,
            status=status,
            profile_interval_period=ProfileIntervalPeriod.Thirty_Minutes,
            number_of_periods_delivered=len(intervals or []),
            intervals=intervals or [],
        )

    if channel not in set(IntervalChannel):
        return response(ProfileStatus.Undefined_Interval_Channel_Requested)
    if channel == IntervalChannel.Consumption_Received and meter.fuel is Fuel.GAS:
        return response(ProfileStatus.Interval_Channel_Not_Supported)
    if end_time == INVALID:
        return response(ProfileStatus.Invalid_End_Time)
    held = [(end, value) for end, value in meter.tenant.intervals(meter.fuel) if end_time == 0 or end <= end_time]
    if not held:
        return response(ProfileStatus.No_Intervals_Available_For_The_Requested_Time)
    status = ProfileStatus.Success
    if wanted > MAX_PROFILE_PERIODS:
        status, wanted = ProfileStatus.More_Periods_Requested_Than_Can_Be_Returned, MAX_PROFILE_PERIODS
    block = held[:wanted]
    # Received: occupiers export nothing, so the intervals of that channel read 0.
    values = [value if channel == IntervalChannel.Consumption_Delivered else 0 for _end, value in block]
    return response(status, end=block[0][0] if block else end_time, intervals=values)


# -- Device Management -------------------------------------------------------------------
def get_change_of_tenancy(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    if meter.cot is None:
        return not_found(zcl)
    # The answer is a Publish CoT (not a Default Response); it echoes the request's TSN.
    return codec.build(DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=zcl.tsn, **meter.cot.publish_fields())


# -- Prepayment --------------------------------------------------------------------------
def get_top_up_log(meter: EmulatedMeter, zcl: ZclFrame) -> bytes | list[bytes]:
    latest = zcl.fields["latest_end_time"]
    wanted = zcl.fields["number_of_records"] or 255  # 0 = all
    top_ups = [t for t in meter.tenant.top_ups(meter.fuel) if t.time <= latest]
    top_ups = sorted(top_ups, key=lambda t: t.time, reverse=True)[:wanted]
    if not top_ups:
        return not_found(zcl)
    records = [TopUpRecord(top_up_code=t.code, top_up_amount=t.amount, top_up_time=t.time) for t in top_ups]
    # Every part echoes the request's TSN: that is how the client ties the parts together.
    return split_log(PREPAYMENT, "publish_top_up_log", records, tsn=zcl.tsn)


def get_debt_repayment_log(meter: EmulatedMeter, zcl: ZclFrame) -> bytes | list[bytes]:
    latest = zcl.fields["latest_end_time"]
    wanted = zcl.fields["number_of_debts"] or 255
    debt_type = int(zcl.fields["debt_type"])
    debts = [
        d for d in meter.tenant.debts(meter.fuel) if d.collection_time <= latest and debt_type in (0xFF, d.debt_type)
    ]
    debts = sorted(debts, key=lambda d: d.collection_time, reverse=True)[:wanted]
    if not debts:
        return not_found(zcl)
    records = [
        DebtRecord(
            collection_time=d.collection_time,
            amount_collected=d.amount_collected,
            debt_type=d.debt_type,
            outstanding_debt=d.outstanding,
        )
        for d in debts
    ]
    return split_log(PREPAYMENT, "publish_debt_log", records, tsn=zcl.tsn)


def select_available_emergency_credit(meter: EmulatedMeter, zcl: ZclFrame) -> bytes | None:
    """SE 1.4 D.7.3.1.1: answered by a Default Response. A prepayment meter selects the
    emergency credit (Credit Status then says Selected, no longer Available); a credit-mode
    meter has none to select (FAILURE)."""
    if payment_control_configuration(meter) != GB_PREPAYMENT_MODE:
        return codec.default_response_to(zcl, foundation.Status.FAILURE)
    setattr(meter, EMERGENCY_CREDIT_SELECTED_BY, meter.tenant.name)
    if zcl.disable_default_response:
        return None
    return codec.default_response_to(zcl, foundation.Status.SUCCESS)


EMULATED_TOP_UP_VALUE = 1000  # pence: a UTRN's value is encrypted; the emulation credits £10
UTRN_DIGITS = 20


def consumer_top_up(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    """SE 1.4 D.7.3.1.3 / D.7.3.3.2: a UTRN entered on the unit, answered by Consumer Top Up
    Response. Not 20 digits, or a credit-mode meter: Rejected - Invalid; a code already in the
    occupier's top-up log: Rejected - Duplicate. An accepted top-up is not added to the log:
    an occupier's records are fixed, so everything a unit shows stays attributable."""
    code = bytes(zcl.fields["top_up_code"])
    account = meter.tenant.account(meter.fuel)
    if len(code) != UTRN_DIGITS or not code.isdigit() or payment_control_configuration(meter) != GB_PREPAYMENT_MODE:
        result, value = ResultType.Rejected_Invalid_Top_Up, 0
    elif code in {t.code for t in meter.tenant.top_ups(meter.fuel)}:
        result, value = ResultType.Rejected_Duplicate_Top_Up, 0
    else:
        result, value = ResultType.Accepted, EMULATED_TOP_UP_VALUE
    return codec.build(
        PREPAYMENT,
        "consumer_top_up_response",
        tsn=zcl.tsn,
        result_type=result,
        top_up_value=value,
        source_of_top_up=zcl.fields["originating_device"],
        credit_remaining=account.credit_remaining + value,
    )


# -- Messaging ---------------------------------------------------------------------------
MESSAGES_CANCELLED_AT = "messages_cancelled_at"  # meter attribute: its last Cancel All Messages


def record_cancel_all_messages(meter: EmulatedMeter, implementation_time: int) -> None:
    """The meter sent Cancel All Messages: Get Message Cancellation returns it from then on."""
    setattr(meter, MESSAGES_CANCELLED_AT, implementation_time)


def get_message_cancellation(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    """SE 1.4 D.5.2.3.3: the Cancel All Messages held with an implementation time at or after
    EarliestImplementationTime, or Default Response NOT_FOUND when there is none."""
    cancelled_at = getattr(meter, MESSAGES_CANCELLED_AT, None)
    if cancelled_at is None or cancelled_at < int(zcl.fields["earliest_implementation_time"]):
        return not_found(zcl)
    return codec.build(MESSAGING, "cancel_all_messages", tsn=zcl.tsn, implementation_date_time=cancelled_at)


def display_message_fields(meter: EmulatedMeter) -> dict[str, object] | None:
    message = meter.tenant.message(meter.fuel) if meter.message_published else None
    if message is None:
        return None
    return {
        "message_id": message.message_id,
        "message_control": 0x00,
        "start_time": 0,
        "duration_in_minutes": 0xFFFF,
        "message": message.text,
    }


def get_last_message(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    fields = display_message_fields(meter)
    if fields is None:
        return not_found(zcl)
    return codec.build(MESSAGING, "display_message", tsn=zcl.tsn, **fields)


def accept(meter: EmulatedMeter, zcl: ZclFrame) -> bytes | None:
    """Commands recorded but needing only a Default Response (e.g. Message Confirmation)."""
    if zcl.disable_default_response:
        return None
    return codec.default_response_to(zcl, foundation.Status.SUCCESS)


# -- Time --------------------------------------------------------------------------------
ANSWERS: dict[tuple[int, str], Answer] = {
    (DEVICE_MANAGEMENT, "get_change_of_tenancy"): get_change_of_tenancy,
    (METERING, "get_profile"): get_profile,
    (PREPAYMENT, "get_top_up_log"): get_top_up_log,
    (PREPAYMENT, "get_debt_repayment_log"): get_debt_repayment_log,
    (PREPAYMENT, "select_available_emergency_credit"): select_available_emergency_credit,
    (PREPAYMENT, "consumer_top_up"): consumer_top_up,
    (MESSAGING, "get_last_message"): get_last_message,
    (MESSAGING, "get_message_cancellation"): get_message_cancellation,
    (MESSAGING, "message_confirmation"): accept,
}


def answers(meter: EmulatedMeter, zcl: ZclFrame) -> list[bytes]:
    """Every frame of the meter's answer to one client-to-server frame, in the order it
    sends them; none for silence."""
    if zcl.command_name == "read_attributes":
        return [read_attributes(meter, zcl)]
    handler = ANSWERS.get((zcl.cluster_id, zcl.command_name))
    if handler is not None:
        frames = handler(meter, zcl)
        if frames is None:
            return []
        return [frames] if isinstance(frames, bytes) else list(frames)
    if zcl.disable_default_response:
        return []
    return [codec.default_response_to(zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)]


def answer(meter: EmulatedMeter, zcl: ZclFrame) -> bytes | None:
    """The first frame of the answer (the only one, except for a log split across
    commands: use answers for those), or None for silence."""
    frames = answers(meter, zcl)
    return frames[0] if frames else None
