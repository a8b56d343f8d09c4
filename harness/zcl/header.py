"""The ZCL header on its own, for code that matches frames without decoding them.

Wire reference, "Conventions": frame control (bits 0-1 frame type, bit 2
manufacturer-specific, bit 3 direction, bit 4 disable default response), the two-octet
manufacturer code when bit 2 is set, then TSN and command ID. Callers outside this
package use these helpers instead of indexing payload octets, which would misread the
TSN of a manufacturer-specific frame.

The header is read as it is: a reserved frame type (2 or 3) is reported in
``frame_type`` (and is not ``cluster_specific``); ``decode`` is the one that rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zigpy.zcl import foundation

from harness.zcl.codec import (
    Direction,
    ZclDecodeError,
    ZclEncodeError,
    cluster_class,
    cluster_label,
)
from harness.zcl.fields import FieldError, min_octets, read_fields

_FRAME_TYPE_MASK = 0x03
_MANUFACTURER_SPECIFIC = 0x04
_SERVER_TO_CLIENT = 0x08
_DISABLE_DEFAULT_RESPONSE = 0x10
_CLUSTER_SPECIFIC = 1


@dataclass(frozen=True)
class ZclHeader:
    frame_type: int  # 0 global, 1 cluster-specific (2, 3 reserved)
    cluster_specific: bool
    manufacturer_specific: bool
    direction: Direction
    disable_default_response: bool
    manufacturer_code: int | None
    tsn: int
    command_id: int
    length: int  # header octets: 3, or 5 with a manufacturer code


def parse_header(payload: bytes) -> ZclHeader:
    """The ZCL header at the start of an APS payload; ZclDecodeError when it is short."""
    data = bytes(payload)
    if not data:
        raise ZclDecodeError("ZCL frame is empty, a ZCL header needs 3 octets")
    control = data[0]
    manufacturer_specific = bool(control & _MANUFACTURER_SPECIFIC)
    length = 5 if manufacturer_specific else 3
    if len(data) < length:
        raise ZclDecodeError(f"ZCL header is {len(data)} octets, frame control 0x{control:02X} needs {length}")
    frame_type = control & _FRAME_TYPE_MASK
    return ZclHeader(
        frame_type=frame_type,
        cluster_specific=frame_type == _CLUSTER_SPECIFIC,
        manufacturer_specific=manufacturer_specific,
        direction=Direction.TO_CLIENT if control & _SERVER_TO_CLIENT else Direction.TO_SERVER,
        disable_default_response=bool(control & _DISABLE_DEFAULT_RESPONSE),
        manufacturer_code=int.from_bytes(data[1:3], "little") if manufacturer_specific else None,
        tsn=data[length - 2],
        command_id=data[length - 1],
        length=length,
    )


def header_or_none(payload: bytes) -> ZclHeader | None:
    """``parse_header``, or None when the payload is too short to hold a header."""
    try:
        return parse_header(payload)
    except ZclDecodeError:
        return None


def tsn_of(payload: bytes) -> int | None:
    """The ZCL transaction sequence number, None when there is no whole header."""
    header = header_or_none(payload)
    return None if header is None else header.tsn


def answers(
    payload: bytes,
    *,
    tsn: int,
    command_id: int | None = None,
    direction: Direction | None = None,
    cluster_specific: bool | None = None,
) -> bool:
    """True when the payload has a ZCL header and every header field given matches."""
    header = header_or_none(payload)
    if header is None or header.tsn != tsn:
        return False
    if command_id is not None and header.command_id != command_id:
        return False
    if direction is not None and header.direction is not Direction(direction):
        return False
    return cluster_specific is None or header.cluster_specific == cluster_specific


def _command(cluster_id: int, command_id: int, direction: Direction) -> foundation.ZCLCommandDef:
    side = Direction(direction)
    label = cluster_label(cluster_id)
    cls = cluster_class(cluster_id)
    if cls is None:
        raise ZclEncodeError(f"{label}: no cluster definition, so no command 0x{command_id:02X} {side}")
    # zigpy keys commands by the side that receives them.
    commands = cls.server_commands if side is Direction.TO_SERVER else cls.client_commands
    command = commands.get(command_id)
    if command is None:
        known = ", ".join(f"0x{int(i):02X} {c.name}" for i, c in sorted(commands.items())) or "none"
        raise ZclEncodeError(f"{label}: no cluster-specific command 0x{command_id:02X} {side} (known: {known})")
    return command


def min_payload_length(cluster_id: int, command_id: int, direction: Direction) -> int:
    """The fewest octets after the ZCL header that a valid frame of this cluster-specific
    command can have, from its schema: fixed-size fields in full, each string or counted
    list as its length prefix alone, optional fields not at all.

    ``direction`` is the frame's (TO_CLIENT: server to client). ZclEncodeError for a
    command the cluster does not define in that direction.
    """
    command = _command(cluster_id, command_id, direction)
    label = cluster_label(cluster_id)
    try:
        return min_octets(command.schema.fields)
    except TypeError as exc:
        raise ZclEncodeError(f"{label} {command.name}: {exc}") from exc


def leading_fields(cluster_id: int, payload: bytes) -> dict[str, Any]:
    """The fields of a cluster-specific frame that are complete, in order, up to the first
    one the frame is too short for: what a lax parser reads from a truncated frame (the
    fault models use it; a conforming unit rejects the frame instead). Empty when the
    header does not parse or the command is not defined."""
    header = header_or_none(payload)
    if header is None or not header.cluster_specific:
        return {}
    try:
        command = _command(cluster_id, header.command_id, header.direction)
    except ZclEncodeError:
        return {}
    body = bytes(payload)[header.length :]
    fields = list(command.schema.fields)
    for count in range(len(fields), 0, -1):  # the longest prefix of the schema that fits
        try:
            values, _end = read_fields(fields[:count], body)
        except (FieldError, TypeError):
            continue
        if all(f.name in values for f in fields[:count] if not f.optional and f.requires is None):
            return values
    return {}


__all__ = [
    "ZclHeader",
    "answers",
    "leading_fields",
    "header_or_none",
    "min_payload_length",
    "parse_header",
    "tsn_of",
]
