"""Read Attributes Response from a table of typed values (pure encoding, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

from zigpy.zcl import foundation

from harness.zcl.codec import ZclFrame, build

AttributeTable = Mapping[int, tuple[foundation.DataTypeId, object]]


def read_attributes_rsp(request: ZclFrame, values: AttributeTable) -> bytes:
    """Answer a Read Attributes request: each asked ID with its value, or UNSUPPORTED_ATTRIBUTE."""
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
