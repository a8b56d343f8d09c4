"""The shortcuts the frame builder takes for speed decide as its declarative tables do: a
record's range check (one expression for the usual record) refuses exactly what RECORD_LIMITS
refuses, naming the field; the cached frame control fields are the bit layouts' values."""

from __future__ import annotations

import dataclasses

import pytest

from harness.evidence import mpdu
from harness.radio.trace import Direction, FrameRecord

RECORD = FrameRecord(
    seq=7,
    timestamp=1.0,
    direction=Direction.TX,
    src_nwk=0x0000,
    src_ep=9,
    dst_nwk=0x1234,
    dst_ep=1,
    profile_id=0x0109,
    cluster_id=0x0708,
    payload=b"\x19\x01\x00",
)


@pytest.mark.parametrize("name", sorted(mpdu.RECORD_LIMITS))
def test_each_field_is_refused_just_outside_its_range_and_named(name: str) -> None:
    limit = mpdu.RECORD_LIMITS[name]
    for value in (0, limit):
        mpdu.check_record(dataclasses.replace(RECORD, **{name: value}))
    for value in (-1, limit + 1):
        with pytest.raises(ValueError, match=f"record 7: {name}="):
            mpdu.check_record(dataclasses.replace(RECORD, **{name: value}))


def test_the_cached_frame_control_fields_are_the_layouts_values() -> None:
    for broadcast in (False, True):
        assert mpdu._mac_fcf(broadcast) == mpdu._bits(
            mpdu.MAC_FCF,
            frame_type=mpdu.MAC_DATA,
            ack_request=int(not broadcast),
            pan_id_compression=1,
            dst_addr_mode=mpdu.SHORT_ADDR_MODE,
            frame_version=0,
            src_addr_mode=mpdu.SHORT_ADDR_MODE,
        )
        assert mpdu._aps_fcf(broadcast) == mpdu._bits(
            mpdu.APS_FCF, frame_type=0, delivery_mode=mpdu.APS_BROADCAST if broadcast else mpdu.APS_UNICAST
        )
    for dst in (0, 1):
        for src in (0, 1):
            expected = mpdu._bits(
                mpdu.NWK_FCF, frame_type=0, protocol_version=2, discover_route=0, dst_ieee=dst, src_ieee=src
            )
            assert mpdu._nwk_fcf(dst, src) == expected
    assert mpdu.ack_bytes(0x1FF) == mpdu.ack_bytes(0xFF)  # the DSN is one octet
    assert mpdu.ack_bytes(5)[:3] == bytes([0x02, 0x00, 5])
