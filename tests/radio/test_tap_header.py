"""The radio tap matches the unit's frames to zigpy's own pending requests by the header
harness.zcl.header reads; it must read the direction and TSN zigpy's ZCLHeader reads, for
every frame control octet (reserved frame types and manufacturer-specific ones included),
and refuse (ValueError) the payloads zigpy refuses."""

from __future__ import annotations

import itertools

import pytest
from zigpy.zcl import foundation

from harness.zcl.header import parse_header


@pytest.mark.parametrize("control", range(256))
def test_direction_and_tsn_are_zigpys(control: int) -> None:
    for tsn, rest in itertools.product((0x00, 0x01, 0x7F, 0xFF), (b"", b"\x00", b"\x01\x02\x03\x04")):
        payload = (
            bytes([control, 0x34, 0x12, tsn, 0x0B]) + rest if control & 0x04 else bytes([control, tsn, 0x0B]) + rest
        )
        zigpy_header, _ = foundation.ZCLHeader.deserialize(payload)
        ours = parse_header(payload)
        assert (ours.direction.to_zigpy(), ours.tsn) == (zigpy_header.frame_control.direction, zigpy_header.tsn)


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x18\x01", b"\x04\x01\x02\x03", b"\x1c\x34\x12"])
def test_a_short_header_is_refused_by_both(payload: bytes) -> None:
    with pytest.raises(ValueError):
        foundation.ZCLHeader.deserialize(payload)
    with pytest.raises(ValueError):
        parse_header(payload)
