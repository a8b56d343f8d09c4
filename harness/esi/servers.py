"""What an emulated GB meter answers, cluster by cluster, as declarative tables.

Each entry maps (cluster, client-to-server command) to the function producing the
answer from the meter's current state. Nothing here sends: the meter (meter.py) sends
what these return, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import zigpy.types as zt
from zigpy.zcl import foundation

from harness.domain import SERVED_HISTORY, Fuel
from harness.zcl import codec
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import ZclFrame
from harness.zcl.ids import BASIC, DEVICE_MANAGEMENT, MESSAGING, METERING, PREPAYMENT, TIME
from harness.zcl.metering import HISTORY_ATTRIBUTES
from harness.zcl.prepayment import DebtRecord, TopUpRecord

if TYPE_CHECKING:
    from harness.esi.meter import EmulatedMeter

METERING_DEVICE_TYPE = 0x0306
T = foundation.DataTypeId
Answer = Callable[["EmulatedMeter", ZclFrame], bytes | None]


def not_found(zcl: ZclFrame) -> bytes:
    return codec.default_response_to(zcl, foundation.Status.NOT_FOUND)


# -- attributes ---------------------------------------------------------------------------
def attribute_table(meter: EmulatedMeter, cluster_id: int) -> dict[int, tuple[foundation.DataTypeId, object]]:
    tenant = meter.tenant
    if cluster_id == METERING:
        table: dict[int, tuple[foundation.DataTypeId, object]] = {
            METERING_DEVICE_TYPE: (T.map8, 0 if meter.fuel is Fuel.ELECTRICITY else 1),
        }
        history = tenant.readings(meter.fuel)
        for attr in SERVED_HISTORY:
            wide = HISTORY_ATTRIBUTES[attr].type is zt.uint32_t
            table[attr] = (T.uint32 if wide else T.uint24, history.get(attr, 0))
        return table
    if cluster_id == PREPAYMENT:
        debts = tenant.debts(meter.fuel)
        table = {0x0000: (T.map16, 0x0001)}  # PaymentControlConfiguration: prepayment
        # GB publishes DebtAmount 1..3 (0x0211 + 0x10 * n): the outstanding debts.
        for n in range(3):
            amount = next((d.outstanding for d in debts if d.debt_type == n), 0)
            table[0x0211 + 0x10 * n] = (T.uint32, amount)
        return table
    if cluster_id == DEVICE_MANAGEMENT and meter.cot is not None:
        return {0x0200: (T.UTC, meter.cot.implementation_time), 0x0201: (T.map32, meter.cot.change_control)}
    if cluster_id == TIME:
        return {0x0000: (T.UTC, meter.zcl_time()), 0x0001: (T.map8, 0b0000_0011)}  # master, synchronised
    if cluster_id == BASIC:
        return {0x0000: (T.uint8, 3)}
    return {}


def read_attributes(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    return read_attributes_rsp(zcl, attribute_table(meter, zcl.cluster_id))


def get_profile(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    """Daily consumption intervals (most recent first) from the served history."""
    history = meter.tenant.readings(meter.fuel)
    wanted = min(int(zcl.fields["number_of_periods"]) or len(SERVED_HISTORY), len(SERVED_HISTORY))
    intervals = [history.get(attr, 0) for attr in SERVED_HISTORY[:wanted]]
    return codec.build(
        METERING,
        "get_profile_response",
        tsn=zcl.tsn,
        end_time=meter.zcl_time(),
        status=0x00,
        profile_interval_period=0x00,  # daily
        number_of_periods_delivered=len(intervals),
        intervals=intervals,
    )


# -- Device Management -------------------------------------------------------------------
def get_change_of_tenancy(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    if meter.cot is None:
        return not_found(zcl)
    # The answer is a Publish CoT (not a Default Response); it echoes the request's TSN.
    return codec.build(DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=zcl.tsn, **meter.cot.publish_fields())


# -- Prepayment --------------------------------------------------------------------------
def get_top_up_log(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
    latest = zcl.fields["latest_end_time"]
    wanted = zcl.fields["number_of_records"] or 255  # 0 = all
    top_ups = [t for t in meter.tenant.top_ups(meter.fuel) if t.time <= latest]
    top_ups = sorted(top_ups, key=lambda t: t.time, reverse=True)[:wanted]
    if not top_ups:
        return not_found(zcl)
    records = [TopUpRecord(top_up_code=t.code, top_up_amount=t.amount, top_up_time=t.time) for t in top_ups]
    return codec.build(
        PREPAYMENT,
        "publish_top_up_log",
        tsn=zcl.tsn,
        command_index=0,
        total_number_of_commands=1,
        top_up_payload=records,
    )


def get_debt_repayment_log(meter: EmulatedMeter, zcl: ZclFrame) -> bytes:
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
    return codec.build(
        PREPAYMENT, "publish_debt_log", tsn=zcl.tsn, command_index=0, total_number_of_commands=1, debt_payload=records
    )


# -- Messaging ---------------------------------------------------------------------------
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
    (MESSAGING, "get_last_message"): get_last_message,
    (MESSAGING, "message_confirmation"): accept,
}


def answer(meter: EmulatedMeter, zcl: ZclFrame) -> bytes | None:
    """The meter's answer to one client-to-server frame, or None for silence."""
    if zcl.command_name == "read_attributes":
        return read_attributes(meter, zcl)
    handler = ANSWERS.get((zcl.cluster_id, zcl.command_name))
    if handler is not None:
        return handler(meter, zcl)
    if zcl.disable_default_response:
        return None
    return codec.default_response_to(zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)
