"""ROB-01's fuzz set for a meter (testcases/steps/meter_robustness.py) holds no request a
meter may rightly act on: each frame fails to decode, names a command the cluster does not
define, or is flagged server to client. A well-formed request in it could change a correct
meter's state and fail it falsely; a set that quietly lost its kinds would judge less."""

from __future__ import annotations

from harness.zcl import codec, ids
from harness.zcl.codec import Direction, ZclDecodeError
from testcases.steps.meter_robustness import fuzz_frames, with_tsn


def test_every_fuzzed_frame_is_malformed_unknown_or_the_wrong_direction() -> None:
    frames = fuzz_frames()
    assert len(frames) == len({(c, frame) for _w, c, frame in frames}) == 39, "a bounded set, no frame twice"
    kinds = set()
    for what, cluster, frame in frames:
        try:
            zcl = codec.decode(cluster, frame)
        except ZclDecodeError:
            kinds.add("malformed")
            continue
        if zcl.direction is Direction.TO_CLIENT:
            kinds.add("wrong direction")
        else:
            assert zcl.command_name.startswith("unknown_"), f"{what} is a well-formed {zcl.command_name}"
            kinds.add("unknown")
    assert kinds == {"malformed", "wrong direction", "unknown"}
    assert {cluster for _w, cluster, _f in frames} == {ids.DEVICE_MANAGEMENT, ids.MESSAGING, ids.PREPAYMENT}


def test_a_fuzzed_frame_takes_its_own_tsn_where_it_has_one() -> None:
    assert with_tsn(b"\x01\x00\x08\xfe", 0x42) == b"\x01\x42\x08\xfe"
    assert with_tsn(b"\x01", 0x42) == b"\x01"
