"""Read Attributes Response from a table of typed values (pure encoding, no I/O)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from zigpy.zcl import foundation

from harness.zcl.codec import ZclFrame, build
from harness.zcl.frame import Direction

AttributeTable = Mapping[int, tuple[foundation.DataTypeId, object]]
# One asked attribute as the answer depends on it: its ID, and its (type, value) or None.
Asked = tuple[tuple[int, tuple[foundation.DataTypeId, object] | None], ...]
_TSN_OFFSET = 1  # frame control, then the TSN: the answer carries no manufacturer code


def read_attributes_rsp(request: ZclFrame, values: AttributeTable, *, limit: int | None = None) -> bytes:
    """Answer a Read Attributes request: each asked ID with its value, or UNSUPPORTED_ATTRIBUTE.

    With `limit` (octets of the whole ZCL frame), only the first records that fit, at least
    one: ZCL has a server leave out what does not fit, and the client asks again for it.

    The answer is a pure function of the asked IDs' entries, the cluster, the direction and
    the limit, and its TSN the request's: a unit reading the same attributes of an unchanged
    table (every poll) gets the octets encoded once, its TSN put in. tests/zcl/
    test_attributes_cache.py proves it equals `read_attributes_rsp_uncached`."""
    asked = tuple((attr_id, values.get(attr_id)) for attr_id in request.fields["attribute_ids"])
    try:
        hash(asked)
    except TypeError:  # a value that cannot be a key (none of the meters' tables has one)
        return read_attributes_rsp_uncached(request, values, limit=limit)
    octets = _encoded(request.cluster_id, request.direction, asked, limit)
    return octets[:_TSN_OFFSET] + bytes((request.tsn,)) + octets[_TSN_OFFSET + 1 :]


@functools.lru_cache(maxsize=2048)
def _encoded(cluster_id: int, direction: Direction, asked: Asked, limit: int | None) -> bytes:
    """The answer's octets with TSN 0 (bounded: a run asks a few hundred distinct reads)."""
    table = {attr_id: entry for attr_id, entry in asked if entry is not None}
    return _answer(cluster_id, 0, direction, [attr_id for attr_id, _entry in asked], table, limit)


def read_attributes_rsp_uncached(request: ZclFrame, values: AttributeTable, *, limit: int | None = None) -> bytes:
    """`read_attributes_rsp` encoded afresh: the reference its cache is proven against."""
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
