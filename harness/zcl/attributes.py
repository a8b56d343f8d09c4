"""Read Attributes Response from a table of typed values (pure encoding, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

from zigpy.zcl import foundation

from harness.zcl.codec import ZclFrame, build

AttributeTable = Mapping[int, tuple[foundation.DataTypeId, object]]


def read_attributes_rsp(request: ZclFrame, values: AttributeTable, *, limit: int | None = None) -> bytes:
    """Answer a Read Attributes request: each asked ID with its value, or UNSUPPORTED_ATTRIBUTE.

    With `limit` (octets of the whole ZCL frame), only the first records that fit, at least
    one: ZCL has a server leave out what does not fit, and the client asks again for it."""
    records = []
    for attr_id in request.fields["attribute_ids"]:
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
        request.cluster_id,
        "read_attributes_rsp",
        tsn=request.tsn,
        direction=request.direction.flip(),
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
