"""Every Device Management, Messaging and Prepayment command encodes and decodes back
equal; plus the declarations (registry, attributes, bitmaps) and the UTC helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import zigpy.types as t
import zigpy.zcl

from harness.zcl import (
    CANCEL,
    HISTORY_ATTRIBUTES,
    IMPLEMENT_NOW,
    SE_STATUSES,
    TENANCY_CHANGE_CONTROL_RESERVED_MASK,
    ZCL_EPOCH,
    CharString,
    DebtRecord,
    DebtType,
    DeviceManagement,
    Direction,
    MessageControl,
    MessageImportance,
    Messaging,
    MeterContactorState,
    Metering,
    Prepayment,
    Status,
    TenancyChangeControl,
    TopUpRecord,
    ZclDecodeError,
    ZclEncodeError,
    build,
    decode,
    default_response,
    describe,
    encode,
    format_zcl_utc,
    from_zcl_utc,
    iter_commands,
    make_frame,
    message_control,
    message_importance,
    meter_contactor_state,
    to_zcl_utc,
    with_meter_contactor_state,
)
from harness.zcl.device_management import EventConfigurationRecord
from harness.zcl.time import unix_from_zcl_utc, zcl_utc_from_unix

COT_VECTOR = bytes.fromhex("09 00 00 00 00 00 00 80 4A 37 1C 00 20 6E C6 1F 00 02 00 00")
TOP_UP = TopUpRecord(top_up_code=b"12345678901234567890", top_up_amount=-500, top_up_time=0x1FC66E20)
DEBT = DebtRecord(
    collection_time=0x1FC66E20,
    amount_collected=120,
    debt_type=DebtType.Debt_2,
    outstanding_debt=9_999,
)

# A representative value for every command; the coverage test keeps it complete.
SAMPLES: dict[tuple[int, str], dict[str, Any]] = {
    (0x0708, "get_change_of_tenancy"): {},
    (0x0708, "get_change_of_supplier"): {},
    (0x0708, "request_new_password"): {"password_type": 2},
    (0x0708, "get_site_id"): {},
    (0x0708, "report_event_configuration"): {
        "command_index": 0,
        "total_commands": 1,
        "event_configurations": [
            {"event_id": 0x06C0, "event_configuration": 0x21},
            {"event_id": 0x06C1, "event_configuration": 0x00},
        ],
    },
    (0x0708, "get_cin"): {},
    (0x0708, "publish_change_of_tenancy"): {
        "provider_id": 0x1234,
        "issuer_event_id": 0x1C374A80,
        "tariff_type": 2,
        "implementation_date_time": IMPLEMENT_NOW,
        "proposed_tenancy_change_control": 0x7FFF,
    },
    (0x0708, "publish_change_of_supplier"): {
        "current_provider_id": 1,
        "issuer_event_id": 0x1C374A81,
        "tariff_type": 0,
        "proposed_provider_id": 2,
        "provider_change_implementation_time": 0x1FC66E20,
        "provider_change_control": TenancyChangeControl.Post_Snapshots,
        "proposed_provider_name": b"New Energy",
        "proposed_provider_contact_details": b"0800 000 000",
    },
    (0x0708, "request_new_password_response"): {
        "issuer_event_id": 7,
        "implementation_date_time": 0x1FC66E20,
        "duration_in_minutes": 60,
        "password_type": 1,
        "password": b"s3cret",
    },
    (0x0708, "update_site_id"): {
        "issuer_event_id": 8,
        "site_id_time": 0,
        "provider_id": 3,
        "site_id": b"MPAN-1",
    },
    (0x0708, "set_event_configuration"): {
        "issuer_event_id": 9,
        "start_date_time": 0,
        "event_configuration": 0x03,
        "configuration_control": 0,
        "event_configuration_payload": b"\x01\xc0\x06",
    },
    (0x0708, "get_event_configuration"): {"event_id": 0x06C0},
    (0x0708, "update_cin"): {
        "issuer_event_id": 10,
        "implementation_time": 0,
        "provider_id": 4,
        "customer_id_number": b"CIN-42",
    },
    (0x0703, "get_last_message"): {},
    (0x0703, "message_confirmation"): {
        "message_id": 0x1C374A80,
        "confirmation_time": 0x1FC66E20,
        "message_confirmation_control": 0x02,
        "message_response": b"yes",
    },
    (0x0703, "get_message_cancellation"): {"earliest_implementation_time": 0},
    (0x0703, "display_message"): {
        "message_id": 0x1C374A80,
        "message_control": message_control(importance=MessageImportance.HIGH, confirmation_required=True),
        "start_time": 0,
        "duration_in_minutes": 0xFFFF,
        "message": "Tariff changed",
        "extended_message_control": 0x01,
    },
    (0x0703, "cancel_message"): {"message_id": 5, "message_control": 0},
    (0x0703, "display_protected_message"): {
        "message_id": 6,
        "message_control": 0,
        "start_time": 0x1FC66E20,
        "duration_in_minutes": 30,
        "message": "Protected",
    },
    (0x0703, "cancel_all_messages"): {"implementation_date_time": 0},
    (0x0705, "select_available_emergency_credit"): {
        "command_issue_date_time": 0x1FC66E20,
        "originating_device": 2,
    },
    (0x0705, "change_debt"): {
        "issuer_event_id": 11,
        "debt_label": b"Gas debt",
        "debt_amount": 5000,
        "debt_recovery_method": 0,
        "debt_amount_type": 1,
        "debt_recovery_start_time": 0,
        "debt_recovery_collection_time": 0,
        "debt_recovery_frequency": 1,
        "debt_recovery_amount": 100,
        "debt_recovery_balance_percentage": 0,
    },
    (0x0705, "consumer_top_up"): {
        "originating_device": 2,
        "top_up_code": b"12345678901234567890",
    },
    (0x0705, "get_prepay_snapshot"): {
        "earliest_start_time": 0,
        "latest_end_time": 0xFFFFFFFF,
        "snapshot_offset": 0,
        "snapshot_cause": 0x1000,
    },
    (0x0705, "get_top_up_log"): {"latest_end_time": 0xFFFFFFFF, "number_of_records": 0},
    (0x0705, "get_debt_repayment_log"): {
        "latest_end_time": 0xFFFFFFFF,
        "number_of_debts": 0,
        "debt_type": 0xFF,
    },
    (0x0705, "consumer_top_up_response"): {
        "result_type": 0,
        "top_up_value": 1000,
        "source_of_top_up": 2,
        "credit_remaining": -20,
    },
    (0x0705, "publish_top_up_log"): {
        "command_index": 0,
        "total_number_of_commands": 1,
        "top_up_payload": [TOP_UP] * 2,
    },
    (0x0705, "publish_debt_log"): {
        "command_index": 0,
        "total_number_of_commands": 1,
        "debt_payload": [DEBT],
    },
}


def _records(cluster_id: int, name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Plain dicts in the table become the schema's record structs."""
    out = dict(fields)
    if name == "report_event_configuration":
        records = fields["event_configurations"]
        out["event_configurations"] = [EventConfigurationRecord(**r) for r in records]
    return out


def test_samples_cover_every_command() -> None:
    defined = {
        (cluster_id, command.name)
        for cluster_id in (0x0708, 0x0703, 0x0705)
        for _, command in iter_commands(cluster_id)
    }
    assert defined == set(SAMPLES)
    assert len([k for k in SAMPLES if k[0] == 0x0708]) == 13


@pytest.mark.parametrize(("cluster_id", "name"), list(SAMPLES), ids=lambda v: str(v))
def test_every_command_round_trips(cluster_id: int, name: str) -> None:
    fields = _records(cluster_id, name, SAMPLES[(cluster_id, name)])
    frame = make_frame(cluster_id, name, tsn=0x5A, **fields)
    data = encode(frame)
    decoded = decode(cluster_id, data)
    assert decoded == frame
    assert decoded.trailing == b""
    assert encode(decoded) == data
    assert describe(decoded) == describe(frame)


@pytest.mark.parametrize(
    ("cluster_id", "name", "frame_control"),
    [
        (0x0708, "publish_change_of_tenancy", 0x09),
        (0x0708, "get_change_of_tenancy", 0x01),
        (0x0703, "display_message", 0x09),
        (0x0703, "message_confirmation", 0x01),
        (0x0705, "get_top_up_log", 0x01),
        (0x0705, "publish_debt_log", 0x09),
    ],
)
def test_direction_is_inferred(cluster_id: int, name: str, frame_control: int) -> None:
    fields = _records(cluster_id, name, SAMPLES[(cluster_id, name)])
    frame = make_frame(cluster_id, name, tsn=3, **fields)
    assert encode(frame)[:3] == bytes([frame_control, 3, frame.command_id])


def test_publish_change_of_tenancy_builds_the_rtds_vector() -> None:
    data = build(
        0x0708,
        "publish_change_of_tenancy",
        tsn=0,
        provider_id=0,
        issuer_event_id=to_zcl_utc(datetime(2015, 1, 1, tzinfo=UTC)),
        tariff_type=0,
        implementation_date_time=to_zcl_utc(datetime(2016, 11, 22, 2, 46, 56, tzinfo=UTC)),
        proposed_tenancy_change_control=TenancyChangeControl.Clear_IHD_Data_Consumer,
    )
    assert data == COT_VECTOR


def test_trailing_octets_are_kept() -> None:
    frame = decode(0x0708, COT_VECTOR + b"\xab\xcd")
    assert frame.trailing == b"\xab\xcd"
    assert frame.fields["proposed_tenancy_change_control"] == 0x200
    assert encode(frame) == COT_VECTOR + b"\xab\xcd"
    assert describe(frame).endswith("trailing=0xABCD")


def test_unknown_commands_decode_with_their_payload() -> None:
    data = bytes([0x09, 0x07, 0x07, 0x01, 0x02])
    frame = decode(0x0708, data)
    assert (frame.command_name, frame.fields, frame.trailing) == (
        "unknown_0x07",
        {},
        b"\x01\x02",
    )
    assert encode(frame) == data
    assert describe(frame) == ("Unknown 0x07 (0x0708/0x07 to_client) tsn=7 trailing=0x0102")
    unknown_cluster = decode(0x1234, bytes([0x01, 0x00, 0x00]))
    assert unknown_cluster.command_name == "unknown_0x00"


def test_manufacturer_specific_cluster_command_is_not_read_as_standard() -> None:
    data = bytes([0x0D, 0x34, 0x12, 0x00, 0x00]) + COT_VECTOR[3:]
    frame = decode(0x0708, data)
    assert frame.manufacturer_code == 0x1234
    assert frame.command_name == "unknown_0x00"
    assert encode(frame) == data
    with pytest.raises(ZclEncodeError):
        make_frame(0x0708, "get_cin", tsn=0, manufacturer_code=0x1234)


def test_global_commands() -> None:
    read = build(
        0x0708,
        "read_attributes",
        tsn=9,
        direction="to_server",
        attribute_ids=[0x0200, 0x0201],
    )
    assert read == bytes([0x00, 0x09, 0x00, 0x00, 0x02, 0x01, 0x02])
    frame = decode(0x0708, read)
    assert frame.fields["attribute_ids"] == [0x0200, 0x0201]
    with pytest.raises(ZclEncodeError, match="give direction="):
        build(0x0708, "read_attributes", tsn=9, attribute_ids=[0x0200])
    not_found = default_response(0x00, Status.NOT_FOUND, tsn=4, direction="to_client")
    assert not_found == bytes([0x08, 0x04, 0x0B, 0x00, 0x8B])
    assert decode(0x0708, not_found).fields["status"] is Status.NOT_FOUND


def test_optional_trailing_fields() -> None:
    base = {"message_id": 1, "confirmation_time": 2}
    without = make_frame(0x0703, "message_confirmation", tsn=0, **base)
    assert len(encode(without)) == 3 + 8
    assert decode(0x0703, encode(without)).fields.keys() == base.keys()
    control_only = build(0x0703, "message_confirmation", tsn=0, message_confirmation_control=1, **base)
    assert decode(0x0703, control_only).fields["message_confirmation_control"] == 1
    with pytest.raises(ZclEncodeError, match="without the optional"):
        build(0x0703, "message_confirmation", tsn=0, message_response=b"x", **base)


def test_encode_errors_name_the_problem() -> None:
    with pytest.raises(ZclEncodeError, match="unknown field"):
        build(0x0708, "get_cin", tsn=0, provider_id=1)
    with pytest.raises(ZclEncodeError, match="field tariff_type is required"):
        build(
            0x0708,
            "publish_change_of_tenancy",
            tsn=0,
            provider_id=0,
            issuer_event_id=0,
            implementation_date_time=0,
            proposed_tenancy_change_control=0,
        )
    with pytest.raises(ZclEncodeError, match="no command named"):
        build(0x0708, "publish_change_of_tenancy_now", tsn=0)
    with pytest.raises(ZclEncodeError):
        build(0x0708, "get_cin", tsn=256)
    with pytest.raises(ZclEncodeError):
        build(0x0703, "cancel_all_messages", tsn=0, implementation_date_time=-1)


def test_a_name_defined_in_both_directions_needs_a_direction(monkeypatch: Any) -> None:
    from zigpy.zcl.foundation import BaseCommandDefs, ZCLCommandDef

    class Both(zigpy.zcl.Cluster):
        cluster_id = 0xFC42
        _skip_registry = True

        class ServerCommandDefs(BaseCommandDefs):
            ping = ZCLCommandDef(id=0x00, schema={})

        class ClientCommandDefs(BaseCommandDefs):
            ping = ZCLCommandDef(id=0x00, schema={})

    monkeypatch.setitem(zigpy.zcl.Cluster._registry, 0xFC42, Both)
    with pytest.raises(ZclEncodeError, match="both directions"):
        build(0xFC42, "ping", tsn=0)
    assert build(0xFC42, "ping", tsn=0, direction=Direction.TO_CLIENT)[0] == 0x09


def test_character_strings_are_byte_exact() -> None:
    text = build(0x0703, "cancel_all_messages", tsn=0, implementation_date_time=0)
    assert decode(0x0703, text).command_name == "cancel_all_messages"
    accented = build(
        0x0703,
        "display_message",
        tsn=0,
        message_id=1,
        message_control=0,
        start_time=0,
        duration_in_minutes=1,
        message="£5 top-up",
    )
    assert accented[14] == len("£5 top-up".encode())  # octets, not characters
    raw = bytes([0x09, 0, 0]) + bytes(4) + b"\x00" + bytes(4) + b"\x01\x00" + b"\x03a\x00\xff"
    frame = decode(0x0703, raw)
    assert isinstance(frame.fields["message"], CharString)
    assert encode(frame) == raw


def test_tenancy_change_control_bits() -> None:
    assert TENANCY_CHANGE_CONTROL_RESERVED_MASK == 0xFFFF8000
    every_bit = 0
    for member in TenancyChangeControl:
        assert member.value & (member.value - 1) == 0, member  # one bit each
        assert member.value & TENANCY_CHANGE_CONTROL_RESERVED_MASK == 0, member
        every_bit |= member.value
    assert every_bit == 0x7FFF  # bits 0-14 all named, none missing
    assert TenancyChangeControl.Pre_Snapshots == 0x0001  # not 0, as one header has it
    assert TenancyChangeControl.Clear_IHD_Data_Consumer == 0x0200
    assert TenancyChangeControl.Clear_IHD_Data_Supplier == 0x0400
    assert TenancyChangeControl.Clear_Prepayment_Data == 0x4000
    assert meter_contactor_state(0x1800) is MeterContactorState.SUPPLY_UNCHANGED
    control = with_meter_contactor_state(0x0200, MeterContactorState.SUPPLY_ON)
    assert control == 0x1200
    assert meter_contactor_state(control) is MeterContactorState.SUPPLY_ON
    reserved = decode(0x0708, COT_VECTOR[:-4] + (0x80000200).to_bytes(4, "little"))
    assert reserved.fields["proposed_tenancy_change_control"] & (TENANCY_CHANGE_CONTROL_RESERVED_MASK) == 0x80000000
    assert encode(reserved)[-4:] == b"\x00\x02\x00\x80"


def test_message_control() -> None:
    control = message_control(importance=MessageImportance.CRITICAL, confirmation_required=True)
    assert control == 0x8C
    assert isinstance(control, MessageControl)
    assert message_importance(control) is MessageImportance.CRITICAL


def test_utc_helpers() -> None:
    assert datetime(2000, 1, 1, tzinfo=UTC) == ZCL_EPOCH
    assert IMPLEMENT_NOW == 0
    assert CANCEL == 0xFFFFFFFF
    assert to_zcl_utc(datetime(2015, 1, 1, tzinfo=UTC)) == 0x1C374A80
    assert isinstance(to_zcl_utc(ZCL_EPOCH), t.UTCTime)
    plus_one = timezone(timedelta(hours=1))
    assert to_zcl_utc(datetime(2015, 1, 1, 1, tzinfo=plus_one)) == 0x1C374A80
    assert from_zcl_utc(0x1FC66E20) == datetime(2016, 11, 22, 2, 46, 56, tzinfo=UTC)
    assert unix_from_zcl_utc(0x1C374A80) == 1420070400
    assert zcl_utc_from_unix(1420070400) == 0x1C374A80
    assert format_zcl_utc(0) == "0 (now)"
    assert format_zcl_utc(0xFFFFFFFF) == "0xFFFFFFFF (invalid/cancel)"
    assert format_zcl_utc(0x1C374A80) == "0x1C374A80 (2015-01-01T00:00:00Z)"
    with pytest.raises(ValueError, match="naive"):
        to_zcl_utc(datetime(2015, 1, 1))
    with pytest.raises(ValueError, match="outside"):
        to_zcl_utc(datetime(1999, 12, 31, tzinfo=UTC))


def test_statuses_are_zigpys_with_the_reference_codes() -> None:
    codes = [0x00, 0x01, 0x7E, 0x80, 0x81, 0x85, 0x86, 0x87, 0x8B]
    assert [int(s) for s in SE_STATUSES] == codes
    assert Status.NOT_FOUND.name == "NOT_FOUND"


def test_clusters_replace_zigpys_in_its_registry() -> None:
    registry = zigpy.zcl.Cluster._registry
    for cluster in (DeviceManagement, Messaging, Prepayment, Metering):
        assert registry[cluster.cluster_id] is cluster
    # zigpy's own schema machinery reads the vector through our definitions too.
    schema = DeviceManagement.client_commands[0x00].schema
    payload, rest = schema.deserialize(COT_VECTOR[3:])
    assert (payload.issuer_event_id, rest) == (0x1C374A80, b"")


def test_device_management_attributes() -> None:
    attrs = {int(a.id): (a.name, a.type) for a in DeviceManagement.AttributeDefs}
    assert attrs[0x0200] == ("change_of_tenancy_update_date_time", t.UTCTime)
    assert attrs[0x0201] == ("proposed_tenancy_change_control", TenancyChangeControl)
    assert attrs[0x0100][0] == "provider_id"
    assert attrs[0x0113][1] is TenancyChangeControl
    assert {0x0000, 0x0010, 0x06C0, 0x06C1, 0x06C2, 0x06C3} <= attrs.keys()
    assert {0x0101, 0x0102, 0x0110, 0x0111, 0x0112} <= attrs.keys()


def test_prepayment_attributes() -> None:
    attrs = {int(a.id): (a.name, a.type) for a in Prepayment.AttributeDefs}
    assert attrs[0x0000][0] == "payment_control_configuration"
    assert attrs[0x0001] == ("credit_remaining", t.int32s)
    assert attrs[0x0131] == ("top_up_amount_4", t.int32s)
    assert attrs[0x0211] == ("debt_amount_1", t.uint32_t)
    assert attrs[0x0239] == ("debt_recovery_top_up_percentage_3", t.uint16_t)
    assert attrs[0x051C] == ("current_day_cost_consumption_delivered", t.uint48_t)
    assert attrs[0x052C] == ("previous_day8_cost_consumption_delivered", t.uint48_t)
    assert attrs[0x055A] == ("previous_month13_cost_consumption_delivered", t.uint48_t)


def test_metering_history_table() -> None:
    assert len(HISTORY_ATTRIBUTES) == 29
    ids = list(HISTORY_ATTRIBUTES)
    assert ids[:2] == [0x0401, 0x0403]
    assert ids[2:9] == list(range(0x0420, 0x042D, 2))
    assert ids[9:15] == [0x0430, 0x0432, 0x0434, 0x0436, 0x0438, 0x043A]
    assert ids[15:] == list(range(0x0440, 0x045B, 2))
    for attr_id, entry in HISTORY_ATTRIBUTES.items():
        assert entry.type is (t.uint32_t if attr_id >= 0x0440 else t.uint24_t)
        assert entry.name.endswith("_delivered")
        assert Metering.attributes[attr_id].name == entry.name
        received = Metering.attributes[attr_id + 1]
        assert received.name == entry.name.replace("_delivered", "_received")
    assert Metering.attributes[0x045C].type is t.uint16_t
    assert Metering.attributes[0x0400].type is t.int24s  # zigpy's, unchanged


def test_decode_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        decode(0x0708, b"")
    assert issubclass(ZclDecodeError, ValueError)


def test_metering_get_profile_layouts_match_the_reference() -> None:
    request = build(
        0x0702,
        "get_profile",
        tsn=1,
        interval_channel=0,
        end_time=0x1FC66E20,
        number_of_periods=2,
    )
    assert request == bytes.fromhex("01 01 00 00 20 6E C6 1F 02")
    response = bytes.fromhex("09 01 00 20 6E C6 1F 00 02 02 01 00 00 FF FF FF")
    frame = decode(0x0702, response)
    assert frame.command_name == "get_profile_response"
    assert frame.fields["number_of_periods_delivered"] == 2
    assert frame.fields["intervals"] == [1, 0xFFFFFF]
    assert encode(frame) == response
    with pytest.raises(ZclDecodeError, match=r"intervals\[1\] needs 1 more"):
        decode(0x0702, response[:-1])
