"""The header helpers (harness.zcl.header), the cluster IDs (harness.zcl.ids) and
ZCL_EPOCH_UNIX: what callers outside harness/zcl use instead of indexing payload octets
and retyping constants."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from zigpy.zcl.clusters import general, smartenergy

import harness.zcl
from harness.zcl import (
    BASIC,
    DEVICE_MANAGEMENT,
    IDENTIFY,
    KEY_ESTABLISHMENT,
    MESSAGING,
    METERING,
    PREPAYMENT,
    SE_PROFILE,
    TIME,
    ZCL_EPOCH,
    ZCL_EPOCH_UNIX,
    DeviceManagement,
    Direction,
    Messaging,
    Metering,
    Prepayment,
    ZclDecodeError,
    ZclEncodeError,
    ZclHeader,
    answers,
    decode,
    default_response,
    header_or_none,
    iter_commands,
    min_payload_length,
    parse_header,
    tsn_of,
)
from harness.zcl.time import UNIX_OFFSET

VECTORS = Path(__file__).resolve().parents[1] / "vectors"  # as in test_vectors.py
TO_CLIENT, TO_SERVER = Direction.TO_CLIENT, Direction.TO_SERVER


def _octets(name: str) -> bytes:
    return bytes.fromhex((VECTORS / name).read_text())


PUBLISH_COT = _octets("gcs09_publish_cot.hex")
DEFAULT_RESPONSE = _octets("gcs09_default_response.hex")
DISPLAY_MESSAGE = _octets("gcs07_display_message.hex")


# -- parse_header ----------------------------------------------------------------------


def test_parse_header_of_the_gcs09_publish_cot_vector() -> None:
    assert parse_header(PUBLISH_COT) == ZclHeader(
        frame_type=1,
        cluster_specific=True,
        manufacturer_specific=False,
        direction=TO_CLIENT,
        disable_default_response=False,
        manufacturer_code=None,
        tsn=0,
        command_id=0x00,
        length=3,
    )


def test_parse_header_of_the_gcs09_default_response_vector() -> None:
    header = parse_header(DEFAULT_RESPONSE)
    assert (header.frame_type, header.cluster_specific, header.direction) == (0, False, TO_SERVER)
    assert (header.tsn, header.command_id, header.length) == (0, 0x0B, 3)


@pytest.mark.parametrize(
    ("cluster_id", "payload"),
    [(DEVICE_MANAGEMENT, PUBLISH_COT), (DEVICE_MANAGEMENT, DEFAULT_RESPONSE), (MESSAGING, DISPLAY_MESSAGE)],
)
def test_parse_header_agrees_with_decode(cluster_id: int, payload: bytes) -> None:
    header, frame = parse_header(payload), decode(cluster_id, payload)
    assert header.cluster_specific == frame.is_cluster_specific
    assert header.direction is frame.direction
    assert header.disable_default_response == frame.disable_default_response
    assert header.manufacturer_code == frame.manufacturer_code
    assert (header.tsn, header.command_id) == (frame.tsn, frame.command_id)


def test_parse_header_with_a_manufacturer_code() -> None:
    payload = default_response(
        0x00, 0, tsn=0x42, direction=TO_CLIENT, manufacturer_code=0x1234, disable_default_response=True
    )
    assert payload[:5] == bytes([0x1C, 0x34, 0x12, 0x42, 0x0B])
    header = parse_header(payload)
    assert header.manufacturer_specific and header.manufacturer_code == 0x1234
    assert (header.tsn, header.command_id, header.length) == (0x42, 0x0B, 5)
    assert header.disable_default_response and header.direction is TO_CLIENT


def test_parse_header_takes_any_bytes_like_payload() -> None:
    assert parse_header(bytearray(PUBLISH_COT)) == parse_header(memoryview(PUBLISH_COT)) == parse_header(PUBLISH_COT)


def test_parse_header_reports_a_reserved_frame_type_as_it_is() -> None:
    header = parse_header(bytes([0x02, 0x05, 0x00]))
    assert header.frame_type == 2 and not header.cluster_specific and header.tsn == 5


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x09", b"\x09\x00", b"\x04\x34\x12\x07", b"\x0d\x34\x12"],
    ids=["empty", "fc-only", "no-command", "manufacturer-short", "manufacturer-no-tsn"],
)
def test_parse_header_of_a_short_frame(payload: bytes) -> None:
    with pytest.raises(ZclDecodeError, match="ZCL") as caught:
        parse_header(payload)
    assert type(caught.value) is ZclDecodeError and caught.value.cluster_id is None
    assert header_or_none(payload) is None
    assert tsn_of(payload) is None


def test_a_bare_header_parses() -> None:
    assert parse_header(b"\x19\x07\x02").length == 3  # no payload after it is still a header


# -- header_or_none / tsn_of --------------------------------------------------------------


def test_header_or_none() -> None:
    assert header_or_none(DISPLAY_MESSAGE) == parse_header(DISPLAY_MESSAGE)
    assert header_or_none(b"\x01\x02") is None


def test_tsn_of() -> None:
    assert tsn_of(PUBLISH_COT) == 0
    assert tsn_of(bytes([0x19, 0xA7, 0x02, 0xFF])) == 0xA7
    # after the manufacturer code, not its low octet
    assert tsn_of(bytes([0x05, 0x34, 0x12, 0x99, 0x00])) == 0x99


# -- answers ------------------------------------------------------------------------------


def test_answers_matches_every_given_field() -> None:
    assert answers(PUBLISH_COT, tsn=0)
    assert answers(PUBLISH_COT, tsn=0, command_id=0x00, direction=TO_CLIENT, cluster_specific=True)
    assert answers(DEFAULT_RESPONSE, tsn=0, command_id=0x0B, direction=TO_SERVER, cluster_specific=False)
    assert answers(DEFAULT_RESPONSE, tsn=0, direction="to_server")  # the StrEnum's value works too


@pytest.mark.parametrize(
    "mismatch",
    [
        {"tsn": 1},
        {"tsn": 0, "command_id": 0x01},
        {"tsn": 0, "direction": TO_SERVER},
        {"tsn": 0, "cluster_specific": False},
    ],
)
def test_answers_fails_on_any_mismatch(mismatch: dict) -> None:
    assert not answers(PUBLISH_COT, **mismatch)


def test_answers_an_unparseable_payload_is_false() -> None:
    assert not answers(b"", tsn=0)
    assert not answers(b"\x08\x00", tsn=0)


def test_answers_reads_the_tsn_of_a_manufacturer_specific_frame() -> None:
    payload = bytes([0x05, 0x07, 0x10, 0x21, 0x00])  # manufacturer 0x1007, TSN 0x21
    assert answers(payload, tsn=0x21)
    assert not answers(payload, tsn=0x07)


# -- min_payload_length ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cluster_id", "command_id", "octets"),
    [
        (DEVICE_MANAGEMENT, 0x00, 17),  # Publish Change of Tenancy
        (MESSAGING, 0x00, 12),  # Display Message
        (MESSAGING, 0x01, 5),  # Cancel Message
        (MESSAGING, 0x02, 12),  # Display Protected Message
        (MESSAGING, 0x03, 4),  # Cancel All Messages
    ],
)
def test_min_payload_length_server_to_client(cluster_id: int, command_id: int, octets: int) -> None:
    assert min_payload_length(cluster_id, command_id, TO_CLIENT) == octets


def test_min_payload_length_of_the_vectors() -> None:
    # the vectors carry no optional fields, so they are exactly the minimum
    assert len(PUBLISH_COT) - parse_header(PUBLISH_COT).length == min_payload_length(DEVICE_MANAGEMENT, 0x00, TO_CLIENT)
    # Display Message: "Reset" is 5 octets beyond the string's length prefix
    body = len(DISPLAY_MESSAGE) - parse_header(DISPLAY_MESSAGE).length
    assert body - 5 == min_payload_length(MESSAGING, 0x00, TO_CLIENT)


def test_min_payload_length_depends_on_direction() -> None:
    assert min_payload_length(MESSAGING, 0x00, TO_SERVER) == 0  # Get Last Message
    assert min_payload_length(MESSAGING, 0x01, "to_server") == 8  # Message Confirmation


@pytest.mark.parametrize(
    ("cluster_id", "command_id", "direction"),
    [(DEVICE_MANAGEMENT, 0x7F, TO_CLIENT), (MESSAGING, 0x04, TO_CLIENT), (0x7FF0, 0x00, TO_CLIENT)],
)
def test_min_payload_length_of_an_unknown_command(cluster_id: int, command_id: int, direction: Direction) -> None:
    with pytest.raises(ZclEncodeError, match=f"0x{command_id:02X}") as caught:
        min_payload_length(cluster_id, command_id, direction)
    assert isinstance(caught.value, ValueError)
    assert f"0x{cluster_id:04X}" in str(caught.value)


def _se_commands() -> list[tuple[int, Direction, int]]:
    return [
        (cluster_id, direction, int(command.id))
        for cluster_id in (DEVICE_MANAGEMENT, MESSAGING, PREPAYMENT, METERING)
        for direction, command in iter_commands(cluster_id)
    ]


@pytest.mark.parametrize(("cluster_id", "direction", "command_id"), _se_commands())
def test_min_payload_length_is_the_shortest_decodable_payload(
    cluster_id: int, direction: Direction, command_id: int
) -> None:
    octets = min_payload_length(cluster_id, command_id, direction)
    header = bytes([0x01 | (0x08 if direction is TO_CLIENT else 0x00), 0x10, command_id])
    decode(cluster_id, header + bytes(octets))  # all zeros: empty strings, no items
    if octets:
        with pytest.raises(ZclDecodeError):
            decode(cluster_id, header + bytes(octets - 1))


# -- ids -----------------------------------------------------------------------------------


def test_cluster_ids_come_from_the_cluster_classes() -> None:
    expected = {
        "BASIC": (general.Basic, 0x0000),
        "IDENTIFY": (general.Identify, 0x0003),
        "TIME": (general.Time, 0x000A),
        "METERING": (Metering, 0x0702),
        "MESSAGING": (Messaging, 0x0703),
        "PREPAYMENT": (Prepayment, 0x0705),
        "DEVICE_MANAGEMENT": (DeviceManagement, 0x0708),
        "KEY_ESTABLISHMENT": (smartenergy.KeyEstablishment, 0x0800),
    }
    values = {
        "BASIC": BASIC,
        "IDENTIFY": IDENTIFY,
        "TIME": TIME,
        "METERING": METERING,
        "MESSAGING": MESSAGING,
        "PREPAYMENT": PREPAYMENT,
        "DEVICE_MANAGEMENT": DEVICE_MANAGEMENT,
        "KEY_ESTABLISHMENT": KEY_ESTABLISHMENT,
    }
    for name, (cls, number) in expected.items():
        value = values[name]
        assert type(value) is int, name
        assert value == cls.cluster_id == number, name
        assert getattr(harness.zcl.ids, name) == value


def test_se_profile() -> None:
    assert SE_PROFILE == 0x0109 and type(SE_PROFILE) is int


# -- ZCL_EPOCH_UNIX ---------------------------------------------------------------------------


def test_zcl_epoch_unix() -> None:
    assert ZCL_EPOCH_UNIX == UNIX_OFFSET == 946_684_800
    assert datetime.fromtimestamp(ZCL_EPOCH_UNIX, tz=UTC) == ZCL_EPOCH


def test_everything_is_exported_from_the_package() -> None:
    for name in (
        "ZclHeader",
        "parse_header",
        "header_or_none",
        "tsn_of",
        "answers",
        "min_payload_length",
        "ZCL_EPOCH_UNIX",
        "SE_PROFILE",
        "BASIC",
        "KEY_ESTABLISHMENT",
    ):
        assert name in harness.zcl.__all__, name
