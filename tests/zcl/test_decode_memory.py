"""codec.decode remembers frames it decoded: the same answer as a first decode, a frame of
the caller's own, and a bad frame refused every time."""

from __future__ import annotations

import pytest

from harness.zcl import codec, ids


def _cot(tsn: int) -> bytes:
    return codec.build(
        ids.DEVICE_MANAGEMENT,
        "publish_change_of_tenancy",
        tsn=tsn,
        provider_id=1,
        issuer_event_id=0x0032A16B,
        tariff_type=0,
        implementation_date_time=0,
        proposed_tenancy_change_control=0x200,
    )


def test_a_remembered_frame_is_the_first_decode_and_the_callers_own() -> None:
    octets = _cot(0x21)
    first = codec.decode(ids.DEVICE_MANAGEMENT, octets)
    again = codec.decode(ids.DEVICE_MANAGEMENT, bytearray(octets))
    assert first == again == codec.decode_uncached(ids.DEVICE_MANAGEMENT, octets)
    assert first is not again and first.fields is not again.fields
    first.fields["issuer_event_id"] = 7  # type: ignore[index]  # what one caller does to its frame ...
    assert codec.decode(ids.DEVICE_MANAGEMENT, octets).fields["issuer_event_id"] == 0x0032A16B  # ... stays its own


def test_the_same_octets_on_another_cluster_are_decoded_for_that_cluster() -> None:
    octets = _cot(0x22)
    assert codec.decode(ids.DEVICE_MANAGEMENT, octets).command_name == "publish_change_of_tenancy"
    assert codec.decode(ids.MESSAGING, octets) == codec.decode_uncached(ids.MESSAGING, octets)


def test_a_short_frame_is_refused_every_time() -> None:
    short = _cot(0x23)[:-2]
    for _ in range(2):
        with pytest.raises(codec.ZclDecodeError, match="proposed_tenancy_change_control"):
            codec.decode(ids.DEVICE_MANAGEMENT, short)
