"""The codec reads and writes the ZCL header octet by octet (harness/zcl/codec.py), not
through zigpy's ZCLHeader/FrameControl Structs (too slow per frame). These tests hold it
to zigpy's own header, for every frame control octet a frame can carry: the same fields
decoded, the same octets encoded, and zigpy's refusal (as ZclEncodeError) for a value the
header cannot hold."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from zigpy.zcl import foundation

from harness.zcl import codec
from harness.zcl.codec import Direction, ZclDecodeError, ZclEncodeError, ZclFrame

UNKNOWN_CLUSTER = 0xFC42  # no definition: a cluster-specific frame keeps its payload as trailing
UNDEFINED_GLOBAL = 0xF0  # no foundation command has this ID: a global frame does the same
PAYLOAD = b"\x01\x02\x03"


def _frame_controls() -> list[int]:
    """Every octet with frame type 0 or 1 (2 and 3 are reserved, refused by decode)."""
    return [control for control in range(256) if control & 0x03 <= 1]


def _wire(control: int, tsn: int, command_id: int, manufacturer: int = 0xBEEF) -> bytes:
    maker = manufacturer.to_bytes(2, "little") if control & 0x04 else b""
    return bytes([control]) + maker + bytes([tsn, command_id]) + PAYLOAD


@pytest.mark.parametrize("control", _frame_controls())
def test_decode_reads_the_header_as_zigpy_does(control: int) -> None:
    command_id = UNDEFINED_GLOBAL
    data = _wire(control, tsn=0xA5, command_id=command_id)
    ours = codec.decode(UNKNOWN_CLUSTER, data)
    theirs, rest = foundation.ZCLHeader.deserialize(data)
    fc = theirs.frame_control
    assert ours.is_cluster_specific == (fc.frame_type == foundation.FrameType.CLUSTER_COMMAND)
    assert ours.direction is Direction.from_zigpy(fc.direction)
    assert ours.disable_default_response == bool(fc.disable_default_response)
    assert ours.frame_control_reserved == int(fc.reserved)
    assert ours.manufacturer_code == (None if theirs.manufacturer is None else int(theirs.manufacturer))
    assert (ours.tsn, ours.command_id) == (int(theirs.tsn), int(theirs.command_id))
    assert ours.trailing == rest == PAYLOAD


@pytest.mark.parametrize("control", _frame_controls())
def test_encode_writes_the_header_zigpy_writes(control: int) -> None:
    data = _wire(control, tsn=0x5A, command_id=UNDEFINED_GLOBAL, manufacturer=0x10F2)
    frame = codec.decode(UNKNOWN_CLUSTER, data)
    theirs = foundation.ZCLHeader(
        frame_control=foundation.FrameControl(
            frame_type=foundation.FrameType.CLUSTER_COMMAND
            if frame.is_cluster_specific
            else foundation.FrameType.GLOBAL_COMMAND,
            is_manufacturer_specific=frame.manufacturer_code is not None,
            direction=frame.direction.to_zigpy(),
            disable_default_response=frame.disable_default_response,
            reserved=frame.frame_control_reserved,
        ),
        manufacturer=frame.manufacturer_code,
        tsn=frame.tsn,
        command_id=frame.command_id,
    ).serialize()
    assert codec.encode(frame) == data == theirs + PAYLOAD


@pytest.mark.parametrize(
    ("tsn", "command_id", "manufacturer"),
    [(0, 0, 0), (0xFF, 0xFF, 0xFFFF), (1, 0x7F, 0x0001), (0x80, 0x01, 0x8000)],
)
def test_the_edges_of_every_header_field(tsn: int, command_id: int, manufacturer: int) -> None:
    # Cluster-specific controls only: on the undefined cluster every command ID is unknown
    # (a global command 0x00 would be Read Attributes, with a schema of its own).
    for control in (0x05, 0x0D, 0x1D, 0xF5, 0xFD):
        data = _wire(control, tsn, command_id, manufacturer)
        frame = codec.decode(UNKNOWN_CLUSTER, data)
        assert (frame.tsn, frame.command_id, frame.manufacturer_code) == (tsn, command_id, manufacturer)
        assert codec.encode(frame) == data


@pytest.mark.parametrize(
    "change",
    [{"tsn": 256}, {"tsn": -1}, {"command_id": 0x100}, {"manufacturer_code": 0x10000}, {"frame_control_reserved": 8}],
)
def test_a_value_the_header_cannot_hold_is_refused(change: dict[str, int]) -> None:
    frame = dataclasses.replace(codec.decode(UNKNOWN_CLUSTER, _wire(0x01, 1, UNDEFINED_GLOBAL)), **change)
    with pytest.raises(ZclEncodeError, match="bad header value"):
        codec.encode(frame)


def test_short_and_reserved_headers_are_refused_as_before() -> None:
    for data, words in [
        (b"", "frame is empty"),
        (b"\x01\x00", "ZCL header is 2 octets, frame control 0x01 needs 3"),
        (b"\x05\x00\x00\x01", "ZCL header is 4 octets, frame control 0x05 needs 5"),
        (b"\x02\x00\x00", "reserved frame type 2"),
        (b"\x03\x00\x00", "reserved frame type 3"),
    ]:
        with pytest.raises(ZclDecodeError, match=words):
            codec.decode(UNKNOWN_CLUSTER, data)


def test_build_returns_the_octets_of_the_frame_it_made() -> None:
    """build() encodes once (make_frame's check); its octets must be the frame's encoding."""
    for tsn, ddr in itertools.product((0, 0x7E, 0xFF), (False, True)):
        kwargs = {
            "tsn": tsn,
            "disable_default_response": ddr,
            "provider_id": 0x12345678,
            "issuer_event_id": 0x0000_0102,
            "tariff_type": 0,
            "implementation_date_time": 0,
            "proposed_tenancy_change_control": 0x200,
        }
        frame: ZclFrame = codec.make_frame(0x0708, "publish_change_of_tenancy", **kwargs)
        assert codec.build(0x0708, "publish_change_of_tenancy", **kwargs) == codec.encode(frame)
        assert codec.decode(0x0708, codec.encode(frame)) == frame
