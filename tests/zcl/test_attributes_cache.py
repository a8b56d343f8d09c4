"""A Read Attributes Response written straight from the integer layouts is the one zigpy's
records and the codec encode, octet for octet.

harness.zcl.attributes writes each SUCCESS record from INTEGER_TYPES and the header once
per cluster and direction; over many tables (every integer type at its edges, booleans,
types it leaves to zigpy), requests, TSNs and both limits (the secured frame's 65 octets,
none), it must equal `read_attributes_rsp_uncached`.
"""

from __future__ import annotations

import random

from zigpy.zcl import foundation

from harness.zcl import codec
from harness.zcl.attributes import read_attributes_rsp, read_attributes_rsp_uncached
from harness.zcl.ids import DEVICE_MANAGEMENT, METERING, PREPAYMENT
from harness.zcl.limits import MAX_SECURED_ZCL_FRAME

T = foundation.DataTypeId
TYPES = {
    T.uint8: 0xFF,
    T.uint16: 0xFFFF,
    T.uint24: 0xFFFFFF,
    T.uint32: 0xFFFFFFFF,
    T.uint48: 0xFFFFFFFFFFFF,
    T.int32: 0x7FFFFFFF,
    T.map8: 0xFF,
    T.map16: 0xFFFF,
    T.map32: 0xFFFFFFFF,
    T.enum8: 0xFF,
    T.UTC: 0xFFFFFFFF,
}


SIGNED = {T.int8: 0x7F, T.int16: 0x7FFF, T.int24: 0x7FFFFF, T.int32: 0x7FFFFFFF}
# Left to zigpy's records: not an integer type, or not an int value.
OTHERS = [(T.bool_, True), (T.bool_, False), (T.octstr, b"\x01\x02"), (T.string, "IHD"), (T.single, 1.5)]


def _entry(rng: random.Random) -> tuple[foundation.DataTypeId, object]:
    draw = rng.random()
    if draw < 0.05:
        return rng.choice(OTHERS)
    if draw < 0.25:
        type_id = rng.choice(list(SIGNED))
        top = SIGNED[type_id]
        return type_id, rng.choice((0, -1, top, -top - 1, rng.randint(-top - 1, top)))
    type_id = rng.choice(list(TYPES))
    return type_id, rng.choice((0, 1, True, TYPES[type_id], rng.randint(0, TYPES[type_id])))


def _table(rng: random.Random) -> dict[int, tuple[foundation.DataTypeId, object]]:
    return {attr_id: _entry(rng) for attr_id in rng.sample(range(0x0000, 0x0700), rng.randint(0, 60))}


def _request(rng: random.Random, cluster: int, table: dict, tsn: int) -> codec.ZclFrame:
    known = list(table)
    asked = [
        rng.choice(known) if known and rng.random() < 0.8 else rng.randint(0, 0xFFFF) for _ in range(rng.randint(1, 30))
    ]
    return codec.make_frame(cluster, "read_attributes", tsn=tsn, direction="to_server", attribute_ids=asked)


def test_the_cached_answer_equals_the_fresh_one() -> None:
    rng = random.Random(20261201)
    for _ in range(300):
        cluster = rng.choice((METERING, PREPAYMENT, DEVICE_MANAGEMENT))
        table = _table(rng)
        request = _request(rng, cluster, table, rng.randint(0, 0xFF))
        for limit in (MAX_SECURED_ZCL_FRAME, None):
            for tsn in (request.tsn, 0, 0xFF, rng.randint(0, 0xFF)):
                again = codec.make_frame(
                    cluster,
                    "read_attributes",
                    tsn=tsn,
                    direction="to_server",
                    attribute_ids=request.fields["attribute_ids"],
                )
                assert read_attributes_rsp(again, table, limit=limit) == read_attributes_rsp_uncached(
                    again, table, limit=limit
                )
        # The table changes (a new occupier, the next day): the answer follows it.
        changed = {attr_id: (type_id, 0 if value else 1) for attr_id, (type_id, value) in table.items()}
        for limit in (MAX_SECURED_ZCL_FRAME, None):
            assert read_attributes_rsp(request, changed, limit=limit) == read_attributes_rsp_uncached(
                request, changed, limit=limit
            )


def test_the_answer_decodes_to_the_request_tsn_and_values() -> None:
    table = {0x0000: (T.uint48, 12_345_678), 0x0300: (T.enum8, 0)}
    for tsn in (0, 7, 0xFF):
        request = codec.make_frame(
            METERING, "read_attributes", tsn=tsn, direction="to_server", attribute_ids=[0x0000, 0x0300, 0x0999]
        )
        answer = codec.decode(METERING, read_attributes_rsp(request, table))
        assert answer.tsn == tsn and answer.command_name == "read_attributes_rsp"
        records = answer.fields["status_records"]
        assert [r.value.value for r in records[:2]] == [12_345_678, 0]
        assert records[2].status == foundation.Status.UNSUPPORTED_ATTRIBUTE
