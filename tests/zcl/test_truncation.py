"""Short and malformed frames raise ZclDecodeError, and only that, naming where."""

from __future__ import annotations

import random
from typing import Any

import pytest
import zigpy.types as t

from harness.zcl import (
    Direction,
    ZclDecodeError,
    build,
    cluster_label,
    decode,
    encode,
    iter_commands,
)

CLUSTERS = (0x0708, 0x0703, 0x0705, 0x0702)  # DM, Messaging, Prepayment, Metering


def sample(tp: type) -> Any:
    """A valid value of any schema type. Integers are 1, so every count field agrees
    with the one-item lists next to it."""
    if issubclass(tp, t.FixedIntType):
        return tp(1)
    if issubclass(tp, t.CharacterString):
        return tp("ab")
    if issubclass(tp, t.LVBytes | t.Bytes):
        return tp(b"ab")
    if issubclass(tp, t.List):
        return tp([sample(tp._item_type)])
    if issubclass(tp, t.Struct):
        return tp(**{f.name: sample(f.type) for f in tp.fields})
    raise AssertionError(f"no sample for {tp}")


def _is_open_tail(f: t.StructField) -> bool:
    """A field that runs to the end of the frame (so shorter frames can be valid)."""
    return issubclass(f.type, t.Bytes) or (issubclass(f.type, t.List) and f.length is None)


def _cases() -> list[Any]:
    """(cluster, direction, name, payload, cuts that must fail) per command."""
    cases = []
    for cluster_id in CLUSTERS:
        for direction, command in iter_commands(cluster_id):
            mandatory = [f for f in command.schema.fields if not f.optional]
            values = {f.name: sample(f.type) for f in mandatory}
            payload = command.schema(**values).serialize()
            prefix, cuts = 0, None
            for f in mandatory:
                size = len(t.List[f.type]([values[f.name]]).serialize())
                if _is_open_tail(f):
                    cuts = list(range(prefix))
                    if issubclass(f.type, t.List):  # inside the first record
                        cuts += range(prefix + 1, prefix + size)
                    break
                prefix += size
            else:
                cuts = list(range(len(payload)))
            if cuts:
                param = (cluster_id, direction, command.name, payload, cuts)
                cases.append(pytest.param(*param, id=f"{cluster_id:04X}-{command.name}"))
    return cases


CASES = _cases()


def _header(direction: Direction, command_id: int) -> bytes:
    frame_control = 0x09 if direction is Direction.TO_CLIENT else 0x01
    return bytes([frame_control, 0x42, command_id])


def _assert_decode_error(cluster_id: int, data: bytes, *names: str) -> str:
    with pytest.raises(ZclDecodeError) as caught:
        decode(cluster_id, data)
    assert type(caught.value) is ZclDecodeError
    message = str(caught.value)
    for name in (cluster_label(cluster_id), *names):
        assert name in message, message
    return message


def test_cases_cover_the_four_clusters() -> None:
    covered = {case.values[0] for case in CASES}
    assert covered == set(CLUSTERS)
    assert len(CASES) >= 40


@pytest.mark.parametrize(("cluster_id", "direction", "name", "payload", "cuts"), CASES)
def test_every_truncation_raises(
    cluster_id: int, direction: Direction, name: str, payload: bytes, cuts: list[int]
) -> None:
    command_id = next(c.id for d, c in iter_commands(cluster_id) if c.name == name)
    header = _header(direction, command_id)
    assert decode(cluster_id, header + payload).command_name == name  # the whole is valid
    for cut in cuts:
        message = _assert_decode_error(cluster_id, header + payload[:cut], name)
        assert f"payload is {cut} octets" in message


def test_publish_change_of_tenancy_every_short_length() -> None:
    frame = bytes.fromhex("09 00 00 00 00 00 00 80 4A 37 1C 00 20 6E C6 1F 00 02 00 00")
    header, payload = frame[:3], frame[3:]
    assert len(payload) == 17
    for length in range(17):
        _assert_decode_error(0x0708, header + payload[:length], "publish_change_of_tenancy")


def test_publish_change_of_tenancy_message_says_what_is_short() -> None:
    data = bytes.fromhex("09 00 00 00 00 00 00 80 4A 37 1C 00 20 6E")
    with pytest.raises(ZclDecodeError) as caught:
        decode(0x0708, data)
    assert str(caught.value) == (
        "Device Management (0x0708) publish_change_of_tenancy (0x00 to_client):"
        " payload is 11 octets, field implementation_date_time needs 2 more at offset 9"
    )
    error = caught.value
    assert (error.cluster_id, error.command_id, error.field, error.offset) == (
        0x0708,
        0x00,
        "implementation_date_time",
        9,
    )


def test_record_fields_are_named_in_list_tails() -> None:
    frame = build(
        0x0705,
        "publish_debt_log",
        tsn=1,
        command_index=0,
        total_number_of_commands=1,
        debt_payload=[],
    )
    record = bytes(13)  # CollectionTime, AmountCollected, DebtType, OutstandingDebt
    message = _assert_decode_error(0x0705, frame + record + record[:6], "publish_debt_log")
    assert "field debt_payload[1].amount_collected needs 2 more at offset 19" in message


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_header_truncations_raise(cluster_id: int) -> None:
    for length in range(3):
        _assert_decode_error(cluster_id, bytes([0x09, 0x00, 0x00])[:length])
    manufacturer_specific = bytes([0x05, 0x34, 0x12, 0x00, 0x00])  # FC bit 2 set
    for length in range(5):
        _assert_decode_error(cluster_id, manufacturer_specific[:length])


@pytest.mark.parametrize("frame_type", [2, 3])
def test_reserved_frame_type_raises(frame_type: int) -> None:
    message = _assert_decode_error(0x0708, bytes([frame_type, 0x00, 0x00]))
    assert "reserved frame type" in message


@pytest.mark.parametrize("cluster_id", (*CLUSTERS, 0x000A))
def test_random_frames_decode_or_raise_only_zcl_decode_error(cluster_id: int) -> None:
    rng = random.Random(cluster_id)  # deterministic
    for _ in range(3000):
        frame_control = rng.choice([0x00, 0x01, 0x08, 0x09, 0x11, 0x19, 0x04, 0x0D])
        header = bytes([frame_control])
        if frame_control & 0x04:
            header += rng.randbytes(2)
        header += bytes([rng.randrange(256), rng.randrange(0x18)])
        data = header + rng.randbytes(rng.randrange(0, 40))
        try:
            frame = decode(cluster_id, data)
        except ZclDecodeError:
            continue
        if frame.is_cluster_specific or frame.command_name == "default_response":
            # Whatever decodes re-encodes to the very same octets.
            assert encode(frame) == data, frame
