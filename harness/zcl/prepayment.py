"""Prepayment cluster 0x0705: top-up and debt history (wire reference, "Prepayment,
cluster 0x0705").

zigpy 2.4 declares the cluster empty; this subclass replaces it in zigpy's registry.
Commands and attributes laid out in the wire reference are defined from it. The other
client-to-server commands it names (Select Available Emergency Credit, Change Debt,
Consumer Top Up, Get Prepay Snapshot) and Consumer Top Up Response follow ZigBee SE 1.4,
cross-checked with Smart DCC's GBCS parser. Historical cost "received" attributes
(delivered + 1) follow SE 1.4's pairing, which the wire reference states for Metering.
"""

from __future__ import annotations

from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from harness.zcl.types import IssuerEventId, LimitedOctetString, OctetString


class PaymentControlConfiguration(t.bitmap16):
    """Attribute 0x0000 (mandatory), bits as ZigBee SE 1.4 and Wireshark's dissector lay them
    out. Bit 0 is Disconnection Enabled, not prepayment: a client telling prepayment from
    credit mode reads bit 1, Prepayment Enabled."""

    Disconnection_Enabled = 0x0001
    Prepayment_Enabled = 0x0002
    Credit_Management_Enabled = 0x0004
    Credit_Display_Enabled = 0x0010
    Account_Base = 0x0040
    Contactor_Fitted = 0x0080
    Standing_Charge_Configuration = 0x0100
    Emergency_Standing_Charge_Configuration = 0x0200
    Debt_Configuration = 0x0400
    Emergency_Debt_Configuration = 0x0800


# The values a GB meter serves for its mode (issue 13): every GB prepayment-mode value has
# Prepayment Enabled (bit 1) set, e.g. 0x0C97; credit mode is 0x0C94, the same but for bits 0-1.
GB_PREPAYMENT_MODE: Final = 0x0C97
GB_CREDIT_MODE: Final = 0x0C94


def is_prepayment(configuration: int) -> bool:
    """What a PPMID reads from PaymentControlConfiguration: bit 1, Prepayment Enabled."""
    return bool(configuration & PaymentControlConfiguration.Prepayment_Enabled)


class CreditStatus(t.bitmap8):
    """Attribute 0x0003 (SE 1.4, D.7.2.2.1.4): the state of the credit a meter holds."""

    Credit_OK = 0x01
    Low_Credit = 0x02
    Emergency_Credit_Enabled = 0x04
    Emergency_Credit_Available = 0x08
    Emergency_Credit_Selected = 0x10
    Emergency_Credit_In_Use = 0x20
    Credit_Exhausted = 0x40


class OriginatingDevice(t.enum8):
    Energy_Service_Interface = 0x00
    Meter = 0x01
    In_Home_Display = 0x02


class DebtType(t.enum8):
    Debt_1 = 0x00
    Debt_2 = 0x01
    Debt_3 = 0x02
    All_Debts = 0xFF  # Get Debt Repayment Log only


class DebtRecoveryMethod(t.enum8):
    Time_Based = 0x00
    Percentage_Based = 0x01
    Catch_Up_Based = 0x02


class DebtAmountType(t.enum8):
    Type_1_Absolute = 0x00
    Type_1_Incremental = 0x01
    Type_2_Absolute = 0x02
    Type_2_Incremental = 0x03
    Type_3_Absolute = 0x04
    Type_3_Incremental = 0x05


class DebtRecoveryFrequency(t.enum8):
    Per_Hour = 0x00
    Per_Day = 0x01
    Per_Week = 0x02
    Per_Month = 0x03
    Per_Quarter = 0x04


class ResultType(t.enum8):
    """Consumer Top Up Response result (SE 1.4, D.7.3.3.2.1)."""

    Accepted = 0x00
    Rejected_Invalid_Top_Up = 0x01
    Rejected_Duplicate_Top_Up = 0x02
    Rejected_Error = 0x03
    Rejected_Max_Credit_Reached = 0x04
    Rejected_Keypad_Lock = 0x05
    Rejected_Top_Up_Value_Too_Large = 0x06


TopUpCode = LimitedOctetString(25)  # GB carries the 20-digit UTRN here


class TopUpRecord(t.Struct):
    """One Publish Top Up Log record."""

    top_up_code: TopUpCode
    top_up_amount: t.int32s
    top_up_time: t.UTCTime


class DebtRecord(t.Struct):
    """One Publish Debt Log record, 13 octets."""

    collection_time: t.UTCTime
    amount_collected: t.uint32_t
    debt_type: DebtType
    outstanding_debt: t.uint32_t


class _PrepaymentAttributeDefs(BaseAttributeDefs):
    payment_control_configuration: Final = ZCLAttributeDef(
        id=0x0000, type=PaymentControlConfiguration, access="r", mandatory=True
    )
    credit_remaining: Final = ZCLAttributeDef(id=0x0001, type=t.int32s, access="r")
    emergency_credit_remaining: Final = ZCLAttributeDef(id=0x0002, type=t.int32s, access="r")
    credit_status: Final = ZCLAttributeDef(id=0x0003, type=CreditStatus, access="r")
    accumulated_debt: Final = ZCLAttributeDef(id=0x0005, type=t.int32s, access="r")
    overall_debt_cap: Final = ZCLAttributeDef(id=0x0006, type=t.int32s, access="r")
    # The Historical Cost Consumption set's formatting (SE 1.4, D.7.2.4.5): how a client
    # scales and labels the cost history attributes below.
    historical_cost_consumption_formatting: Final = ZCLAttributeDef(id=0x0500, type=t.bitmap8, access="r")
    consumption_unit_of_measurement: Final = ZCLAttributeDef(id=0x0501, type=t.enum8, access="r")
    currency_scaling_factor: Final = ZCLAttributeDef(id=0x0502, type=t.enum8, access="r")
    currency: Final = ZCLAttributeDef(id=0x0503, type=t.uint16_t, access="r")


# Repeated attribute sets, as (offset within the set, name stem, type). Generated rather
# than written out 100 times; the tables are the declaration.
TOP_UP_SET: Final = (
    (0x0, "top_up_date_time", t.UTCTime),
    (0x1, "top_up_amount", t.int32s),
    (0x2, "top_up_originating_device", OriginatingDevice),
    (0x3, "top_up_code", OctetString),
)
TOP_UP_RECORDS: Final = range(1, 6)  # record n at 0x0100 + (n-1) * 0x10

DEBT_SET: Final = (
    (0x0, "debt_label", OctetString),
    (0x1, "debt_amount", t.uint32_t),
    (0x2, "debt_recovery_method", DebtRecoveryMethod),
    (0x3, "debt_recovery_start_time", t.UTCTime),
    (0x4, "debt_recovery_collection_time", t.uint16_t),
    (0x6, "debt_recovery_frequency", DebtRecoveryFrequency),
    (0x7, "debt_recovery_amount", t.uint32_t),
    (0x9, "debt_recovery_top_up_percentage", t.uint16_t),
)
DEBTS: Final = range(1, 4)  # debt n at 0x0210 + (n-1) * 0x10


def _cost_history() -> dict[int, str]:
    """Historical cost consumption: delivered IDs (received = delivered + 1), uint48."""
    ids = {0x051C: "current_day", 0x051E: "previous_day"}
    ids |= {0x0520 + (n - 2) * 2: f"previous_day{n}" for n in range(2, 9)}
    ids |= {0x0530: "current_week", 0x0532: "previous_week"}
    ids |= {0x0534 + (n - 2) * 2: f"previous_week{n}" for n in range(2, 6)}
    ids |= {0x0540: "current_month", 0x0542: "previous_month"}
    ids |= {0x0544 + (n - 2) * 2: f"previous_month{n}" for n in range(2, 14)}
    return ids


COST_HISTORY_DELIVERED: Final = _cost_history()


def _generated_attributes() -> dict[str, ZCLAttributeDef]:
    defs: dict[str, ZCLAttributeDef] = {}
    for n in TOP_UP_RECORDS:
        for offset, stem, type_ in TOP_UP_SET:
            attr_id = 0x0100 + (n - 1) * 0x10 + offset
            defs[f"{stem}_{n}"] = ZCLAttributeDef(id=attr_id, type=type_, access="r")
    for n in DEBTS:
        for offset, stem, type_ in DEBT_SET:
            attr_id = 0x0210 + (n - 1) * 0x10 + offset
            defs[f"{stem}_{n}"] = ZCLAttributeDef(id=attr_id, type=type_, access="r")
    for attr_id, period in COST_HISTORY_DELIVERED.items():
        for delta, side in ((0, "delivered"), (1, "received")):
            defs[f"{period}_cost_consumption_{side}"] = ZCLAttributeDef(id=attr_id + delta, type=t.uint48_t, access="r")
    return defs


for _name, _definition in _generated_attributes().items():
    setattr(_PrepaymentAttributeDefs, _name, _definition)


class Prepayment(smartenergy.Prepayment):
    TopUpRecord: Final = TopUpRecord
    DebtRecord: Final = DebtRecord
    DebtType: Final = DebtType

    AttributeDefs = _PrepaymentAttributeDefs

    class ServerCommandDefs(BaseCommandDefs):
        """Client to server: what the ESI receives from an IHD/PPMID."""

        select_available_emergency_credit: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "command_issue_date_time": t.UTCTime,
                "originating_device": OriginatingDevice,
            },
        )
        change_debt: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "issuer_event_id": IssuerEventId,
                "debt_label": OctetString,
                # Signed, as SE 1.4, Wireshark and Smart DCC's GBCS parser read them: a debt
                # can be adjusted downwards (incremental amount types).
                "debt_amount": t.int32s,
                "debt_recovery_method": DebtRecoveryMethod,
                "debt_amount_type": DebtAmountType,
                "debt_recovery_start_time": t.UTCTime,
                "debt_recovery_collection_time": t.uint16_t,
                "debt_recovery_frequency": DebtRecoveryFrequency,
                "debt_recovery_amount": t.int32s,
                "debt_recovery_balance_percentage": t.uint16_t,
            },
        )
        consumer_top_up: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "originating_device": OriginatingDevice,
                "top_up_code": TopUpCode,
            },
        )
        get_prepay_snapshot: Final = ZCLCommandDef(
            id=0x07,
            schema={
                "earliest_start_time": t.UTCTime,
                "latest_end_time": t.UTCTime,
                "snapshot_offset": t.uint8_t,
                "snapshot_cause": smartenergy.SnapshotCause,
            },
        )
        get_top_up_log: Final = ZCLCommandDef(
            id=0x08,
            schema={
                "latest_end_time": t.UTCTime,
                "number_of_records": t.uint8_t,  # 0 = all
            },
        )
        get_debt_repayment_log: Final = ZCLCommandDef(
            id=0x0A,
            schema={
                "latest_end_time": t.UTCTime,
                "number_of_debts": t.uint8_t,
                "debt_type": DebtType,
            },
        )

    class ClientCommandDefs(BaseCommandDefs):
        """Server to client: what an IHD/PPMID receives."""

        consumer_top_up_response: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "result_type": ResultType,
                "top_up_value": t.int32s,
                "source_of_top_up": OriginatingDevice,
                "credit_remaining": t.int32s,
            },
        )
        publish_top_up_log: Final = ZCLCommandDef(
            id=0x05,
            schema={
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "top_up_payload": t.List[TopUpRecord],
            },
        )
        publish_debt_log: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "debt_payload": t.List[DebtRecord],
            },
        )
