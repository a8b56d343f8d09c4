"""Read Attributes Response from a table of typed values (pure encoding, no I/O)."""

from __future__ import annotations

import functools
import struct
from collections.abc import Mapping

from zigpy.zcl import foundation

from harness.zcl.codec import ZclFrame, build
from harness.zcl.frame import Direction

AttributeTable = Mapping[int, tuple[foundation.DataTypeId, object]]
T = foundation.DataTypeId

# The integer types the tables hold, as (octets, signed): a SUCCESS record is the attribute
# ID (uint16), the status, the type ID and the value little-endian (ZCL 2.5.2.1, 2.6.2).
INTEGER_TYPES: dict[foundation.DataTypeId, tuple[int, bool]] = {
    T.uint8: (1, False),
    T.uint16: (2, False),
    T.uint24: (3, False),
    T.uint32: (4, False),
    T.uint48: (6, False),
    T.int8: (1, True),
    T.int16: (2, True),
    T.int24: (3, True),
    T.int32: (4, True),
    T.map8: (1, False),
    T.map16: (2, False),
    T.map32: (4, False),
    T.enum8: (1, False),
    T.enum16: (2, False),
    T.UTC: (4, False),
}
_RECORD_HEAD = struct.Struct("<HBB")  # attribute ID, status, type ID
_UNSUPPORTED = struct.Struct("<HB")  # attribute ID, status
_TSN_OFFSET = 1  # frame control, then the TSN: the answer carries no manufacturer code


def read_attributes_rsp(request: ZclFrame, values: AttributeTable, *, limit: int | None = None) -> bytes:
    """Answer a Read Attributes request: each asked ID with its value, or UNSUPPORTED_ATTRIBUTE.

    With `limit` (octets of the whole ZCL frame), only the first records that fit, at least
    one: ZCL has a server leave out what does not fit, and the client asks again for it.

    Every meter poll is one of these: its records are written straight from INTEGER_TYPES
    and its header is encoded once per cluster and direction; a value of any other type (or
    out of its type's range) is left to zigpy's records (`read_attributes_rsp_uncached`, which
    tests/zcl/test_attributes_cache.py proves this equal to, octet for octet)."""
    records = []
    for attr_id in request.fields["attribute_ids"]:
        record = _record(attr_id, values.get(attr_id))
        if record is None:
            return read_attributes_rsp_uncached(request, values, limit=limit)
        records.append(record)
    if limit is not None:
        room, kept = limit - 3, 0
        for record in records:
            room -= len(record)
            if room < 0 and kept:
                break
            kept += 1
        records = records[:kept]
    header = _header(request.cluster_id, request.direction)
    return b"".join((header[:_TSN_OFFSET], bytes((request.tsn,)), header[_TSN_OFFSET + 1 :], *records))


def _record(attr_id: int, entry: tuple[foundation.DataTypeId, object] | None) -> bytes | None:
    if not 0 <= attr_id <= 0xFFFF:
        return None
    if entry is None:
        return _UNSUPPORTED.pack(attr_id, foundation.Status.UNSUPPORTED_ATTRIBUTE)
    type_id, value = entry
    layout = INTEGER_TYPES.get(type_id)
    if layout is None or not isinstance(value, int):
        return None
    size, signed = layout
    try:
        octets = value.to_bytes(size, "little", signed=signed)
    except OverflowError:
        return None
    return _RECORD_HEAD.pack(attr_id, foundation.Status.SUCCESS, type_id) + octets


@functools.cache
def _header(cluster_id: int, direction: Direction) -> bytes:
    """The answer's 3-octet ZCL header with TSN 0, as the codec encodes it."""
    return _answer(cluster_id, 0, direction, [], {}, None)


def read_attributes_rsp_uncached(request: ZclFrame, values: AttributeTable, *, limit: int | None = None) -> bytes:
    """The answer through zigpy's records and the codec: the reference of `read_attributes_rsp`."""
    return _answer(request.cluster_id, request.tsn, request.direction, request.fields["attribute_ids"], values, limit)


def _answer(
    cluster_id: int, tsn: int, direction: Direction, attribute_ids: list[int], values: AttributeTable, limit: int | None
) -> bytes:
    records = []
    for attr_id in attribute_ids:
        if attr_id in values:
            type_id, value = values[attr_id]
            python_type = foundation.DataType.from_type_id(type_id).python_type
            records.append(
                foundation.ReadAttributeRecord(
                    attrid=attr_id,
                    status=foundation.Status.SUCCESS,
                    value=foundation.TypeValue(type=type_id, value=python_type(value)),
                )
            )
        else:
            records.append(
                foundation.ReadAttributeRecord(attrid=attr_id, status=foundation.Status.UNSUPPORTED_ATTRIBUTE)
            )
    if limit is not None:
        # Cut once by each record's encoded size (the 3-octet header: no manufacturer code).
        room = limit - 3
        kept = 0
        for record in records:
            room -= len(record.serialize())
            if room < 0 and kept:
                break
            kept += 1
        records = records[:kept]
    return build(
        cluster_id,
        "read_attributes_rsp",
        tsn=tsn,
        direction=direction.flip(),
        disable_default_response=True,
        status_records=records,
    )


def read_values(response: ZclFrame) -> dict[int, object]:
    """Attribute ID -> value for the SUCCESS records of a Read Attributes Response."""
    return {
        int(rec.attrid): rec.value.value
        for rec in response.fields.get("status_records", [])
        if rec.status == foundation.Status.SUCCESS and rec.value is not None
    }
