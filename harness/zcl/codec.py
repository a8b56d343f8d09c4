"""Frame-level ZCL encode/decode: the API the rest of the harness uses.

Header per the wire reference, "Conventions": frame control (bits 0-1 frame type, bit 2
manufacturer-specific, bit 3 direction, bit 4 disable default response), the
manufacturer code when bit 2 is set, TSN, command ID. Payloads follow the command
schemas declared in this package (cluster-specific commands) or zigpy's foundation
commands (global ones).

Every short or malformed input raises ``ZclDecodeError`` naming the cluster, the
command, the field and its offset. Octets after the schema are kept in
``ZclFrame.trailing`` (ZCL lets newer senders append fields), and a command this package
does not know decodes as ``unknown_0xNN`` with its payload in ``trailing``: the harness
records what devices send.

The one-line rendering of a frame for logs (``describe``, ``format_value``,
``command_title``) is in ``harness.zcl.describe`` and re-exported here.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
from collections.abc import Iterator, Mapping
from typing import Any, Final

import zigpy.zcl
from zigpy.zcl import foundation

from harness.zcl import ids, seams

# Re-exported: callers render frames with codec.describe(), as before describe.py existed.
from harness.zcl.describe import command_title as command_title
from harness.zcl.describe import describe as describe
from harness.zcl.describe import format_value as format_value
from harness.zcl.device_management import DeviceManagement
from harness.zcl.fields import FieldError, read_fields
from harness.zcl.frame import Direction as Direction
from harness.zcl.frame import ZclDecodeError as ZclDecodeError
from harness.zcl.frame import ZclEncodeError as ZclEncodeError
from harness.zcl.frame import ZclFrame as ZclFrame
from harness.zcl.key_establishment import KeyEstablishment
from harness.zcl.messaging import Messaging
from harness.zcl.metering import Metering
from harness.zcl.prepayment import Prepayment

# Ours first, so lookups do not depend on registry order; zigpy's registry for the rest
# (Basic, Time, ...), which only matters for their names and global commands.
CLUSTERS: Final[Mapping[int, type[zigpy.zcl.Cluster]]] = types.MappingProxyType(
    {int(c.cluster_id): c for c in (Metering, Messaging, Prepayment, DeviceManagement, KeyEstablishment)}
)
_CLUSTER_NAMES: Final = {
    ids.BASIC: "Basic",
    ids.TIME: "Time",
    ids.METERING: "Metering",
    ids.MESSAGING: "Messaging",
    ids.PREPAYMENT: "Prepayment",
    ids.KEY_ESTABLISHMENT: "Key Establishment",
    ids.DEVICE_MANAGEMENT: "Device Management",
}
_GLOBAL_BY_ID: Final = {int(i): d for i, d in foundation.GENERAL_COMMANDS.items()}
_GLOBAL_BY_NAME: Final = {d.name.lower(): d for d in _GLOBAL_BY_ID.values()}


def cluster_class(cluster_id: int) -> type[zigpy.zcl.Cluster] | None:
    return CLUSTERS.get(cluster_id) or seams.registered_cluster(cluster_id)


def cluster_label(cluster_id: int) -> str:
    """e.g. "Device Management (0x0708)"."""
    name = _CLUSTER_NAMES.get(cluster_id)
    if name is None:
        cls = cluster_class(cluster_id)
        name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", cls.__name__) if cls else "Cluster"
    return f"{name} (0x{cluster_id:04X})"


def _cluster_commands(cls: type[zigpy.zcl.Cluster], direction: Direction) -> dict[int, foundation.ZCLCommandDef]:
    # zigpy keys commands by the side that receives them.
    if direction is Direction.TO_SERVER:
        return cls.server_commands
    return cls.client_commands


def iter_commands(
    cluster_id: int,
) -> Iterator[tuple[Direction, foundation.ZCLCommandDef]]:
    """Every cluster-specific command of the cluster, to_server ones first, by ID."""
    cls = cluster_class(cluster_id)
    if cls is None:
        return
    for direction in Direction:
        commands = _cluster_commands(cls, direction)
        for command_id in sorted(commands):
            yield direction, commands[command_id]


def unknown_name(command_id: int) -> str:
    return f"unknown_0x{command_id:02X}"


def _command_def(
    cluster_id: int,
    is_cluster_specific: bool,
    direction: Direction,
    command_id: int,
    manufacturer_code: int | None,
) -> foundation.ZCLCommandDef | None:
    if not is_cluster_specific:
        return _GLOBAL_BY_ID.get(command_id)
    # A manufacturer-specific cluster command lives in that manufacturer's ID space: the
    # standard schema with the same ID would misread it.
    cls = cluster_class(cluster_id)
    if cls is None or manufacturer_code is not None:
        return None
    return _cluster_commands(cls, direction).get(command_id)


def _command_name(command: foundation.ZCLCommandDef) -> str:
    return command.name.lower()  # zigpy spells globals "Read_Attributes"


# --- decoding -------------------------------------------------------------------------


# Frame control bits (wire reference, "Conventions"). The header is read and written here,
# octet by octet, rather than through zigpy's ZCLHeader/FrameControl Structs: those bind a
# signature and convert every field on each construction, which made the header the largest
# cost of a frame (a simulated run decodes and encodes a few thousand). Equality with
# zigpy's own header, bit for bit, is tests/zcl/test_header_fast.py's.
_FRAME_TYPE_MASK: Final = 0x03
_MANUFACTURER_SPECIFIC: Final = 0x04
_SERVER_TO_CLIENT: Final = 0x08
_DISABLE_DEFAULT_RESPONSE: Final = 0x10
_RESERVED_SHIFT: Final = 5


@dataclasses.dataclass(frozen=True, slots=True)
class _Header:
    frame_control: int
    manufacturer: int | None
    tsn: int
    command_id: int


def _decode_header(cluster_id: int, data: bytes) -> tuple[_Header, bytes]:
    if not data:
        raise ZclDecodeError(
            f"{cluster_label(cluster_id)}: frame is empty, a ZCL header needs 3 octets (command unknown)",
            cluster_id=cluster_id,
        )
    control = data[0]
    needed = 5 if control & _MANUFACTURER_SPECIFIC else 3  # a manufacturer code adds 2 octets
    if len(data) < needed:
        raise ZclDecodeError(
            f"{cluster_label(cluster_id)}: ZCL header is {len(data)} octets, frame control"
            f" 0x{control:02X} needs {needed} (command unknown)",
            cluster_id=cluster_id,
        )
    if control & _FRAME_TYPE_MASK > 1:
        raise ZclDecodeError(
            f"{cluster_label(cluster_id)}: reserved frame type {control & _FRAME_TYPE_MASK} in frame control"
            f" 0x{control:02X}",
            cluster_id=cluster_id,
        )
    manufacturer = data[1] | data[2] << 8 if needed == 5 else None
    return _Header(control, manufacturer, data[needed - 2], data[needed - 1]), data[needed:]


def decode(cluster_id: int, data: bytes) -> ZclFrame:
    """Decode a ZCL frame (header and payload, as carried in the APS payload)."""
    data = bytes(data)
    # The caller gets a frame of its own (ZclFrame copies its fields mapping): a field one
    # caller sets or drops never reaches another. The values inside are shared (zigpy's
    # integers are immutable; no caller edits a decoded list or record in place, and none may).
    return dataclasses.replace(_decoded(cluster_id, data, cluster_class(cluster_id)))


# A frame decodes to the same fields whoever decodes it, and a simulated run decodes most
# frames three times (the meter or the unit that receives it, then the case's evidence: its
# text trace and capture notes). The cluster's definition is part of the key, so a cluster
# registered later in the process is never read by an older one; bounded, so a long soak
# cannot grow it. A frame that does not decode raises each time (errors are not kept).
@functools.lru_cache(maxsize=4096)
def _decoded(cluster_id: int, data: bytes, _definition: object) -> ZclFrame:
    return decode_uncached(cluster_id, data)


def decode_uncached(cluster_id: int, data: bytes) -> ZclFrame:
    """decode() without its memory of earlier frames (what one decode costs)."""
    header, payload = _decode_header(cluster_id, data)
    control = header.frame_control
    direction = Direction.TO_CLIENT if control & _SERVER_TO_CLIENT else Direction.TO_SERVER
    is_cluster_specific = control & _FRAME_TYPE_MASK == foundation.FrameType.CLUSTER_COMMAND
    manufacturer = header.manufacturer
    command_id = header.command_id
    command = _command_def(cluster_id, is_cluster_specific, direction, command_id, manufacturer)

    fields: dict[str, Any] = {}
    consumed = 0
    if command is None:
        name = unknown_name(command_id)
    else:
        name = _command_name(command)
        try:
            fields, consumed = read_fields(command.schema.fields, payload)
        except FieldError as exc:
            raise ZclDecodeError(
                f"{cluster_label(cluster_id)} {name} (0x{command_id:02X} {direction}):"
                f" payload is {len(payload)} octets, field {exc.path} {exc.detail}",
                cluster_id=cluster_id,
                command_id=command_id,
                command_name=name,
                field=exc.path,
                offset=exc.offset,
            ) from exc

    return ZclFrame(
        cluster_id=cluster_id,
        tsn=header.tsn,
        command_id=command_id,
        is_cluster_specific=is_cluster_specific,
        direction=direction,
        disable_default_response=bool(control & _DISABLE_DEFAULT_RESPONSE),
        manufacturer_code=manufacturer,
        command_name=name,
        fields=fields,
        trailing=payload[consumed:],
        frame_control_reserved=control >> _RESERVED_SHIFT,
    )


# --- encoding -------------------------------------------------------------------------


def _typed_fields(schema: type[foundation.CommandSchema], fields: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The fields as the schema's zigpy types, in wire order, absent ones left out."""
    names = [f.name for f in schema.fields]
    unknown = sorted(set(fields) - set(names))
    if unknown:
        raise ZclEncodeError(f"{what}: unknown field(s) {unknown}; it has {names}")

    typed: dict[str, Any] = {}
    absent_optional = None
    for f in schema.fields:
        value = fields.get(f.name)
        if value is None and f.length is not None:
            value = []  # a counted list with nothing in it
        if value is None:
            if not f.optional:
                raise ZclEncodeError(f"{what}: field {f.name} is required")
            absent_optional = absent_optional or f.name
            continue
        if absent_optional:
            # It would land where the absent field belongs and be misread.
            raise ZclEncodeError(f"{what}: field {f.name} given without the optional {absent_optional} before it")
        try:
            typed[f.name] = seams.convert_field(f, value)
        except ValueError as exc:
            raise ZclEncodeError(f"{what}: {exc}") from exc
    return typed


def _encode_payload(frame: ZclFrame, what: str) -> bytes:
    command = _command_def(
        frame.cluster_id,
        frame.is_cluster_specific,
        frame.direction,
        frame.command_id,
        frame.manufacturer_code,
    )
    if command is None:
        if frame.command_name != unknown_name(frame.command_id) or frame.fields:
            raise ZclEncodeError(
                f"{what}: no such command here; an unknown one is named"
                f" {unknown_name(frame.command_id)!r}, its payload in trailing"
            )
        return frame.trailing
    if _command_name(command) != frame.command_name:
        raise ZclEncodeError(f"{what}: command 0x{frame.command_id:02X} is {_command_name(command)!r}")
    typed = _typed_fields(command.schema, frame.fields, what)
    try:
        return command.schema(**typed).serialize() + frame.trailing
    except (TypeError, ValueError) as exc:
        raise ZclEncodeError(f"{what}: {exc}") from exc


def _octet_range(value: object, top: int) -> bool:
    return isinstance(value, int) and 0 <= value <= top


def _encode_header(frame: ZclFrame, what: str) -> bytes:
    manufacturer = frame.manufacturer_code
    if (
        _octet_range(frame.tsn, 0xFF)
        and _octet_range(frame.command_id, 0xFF)
        and _octet_range(frame.frame_control_reserved, 0x07)
        and (manufacturer is None or _octet_range(manufacturer, 0xFFFF))
    ):
        control = (
            (1 if frame.is_cluster_specific else 0)
            | (_MANUFACTURER_SPECIFIC if manufacturer is not None else 0)
            | (_SERVER_TO_CLIENT if frame.direction is Direction.TO_CLIENT else 0)
            | (_DISABLE_DEFAULT_RESPONSE if frame.disable_default_response else 0)
            | frame.frame_control_reserved << _RESERVED_SHIFT
        )
        if manufacturer is None:
            return bytes((control, frame.tsn, frame.command_id))
        return bytes((control, manufacturer & 0xFF, manufacturer >> 8, frame.tsn, frame.command_id))
    # A value out of range or of another type: zigpy's own header types refuse it, in
    # their words (the message a caller gets is the one it always got).
    frame_type = (
        foundation.FrameType.CLUSTER_COMMAND if frame.is_cluster_specific else foundation.FrameType.GLOBAL_COMMAND
    )
    try:
        frame_control = foundation.FrameControl(
            frame_type=frame_type,
            is_manufacturer_specific=manufacturer is not None,
            direction=frame.direction.to_zigpy(),
            disable_default_response=bool(frame.disable_default_response),
            reserved=frame.frame_control_reserved,
        )
        return foundation.ZCLHeader(
            frame_control=frame_control,
            manufacturer=manufacturer,
            tsn=frame.tsn,
            command_id=frame.command_id,
        ).serialize()
    except (TypeError, ValueError) as exc:
        raise ZclEncodeError(f"{what}: bad header value ({exc})") from exc


def encode(frame: ZclFrame) -> bytes:
    what = f"{cluster_label(frame.cluster_id)} {frame.command_name}"
    return _encode_header(frame, what) + _encode_payload(frame, what)


def _resolve(
    cluster_id: int, command_name: str, direction: Direction | None
) -> tuple[foundation.ZCLCommandDef, bool, Direction]:
    """(definition, is_cluster_specific, direction) for a command name."""
    return _resolved(cluster_id, command_name, direction, cluster_class(cluster_id))


# Every build looked its command up by name among all of the cluster's commands, sorted
# afresh (a meter answering a chatty unit builds thousands of frames a run): the answer
# depends only on the name, the direction and the cluster's definition, which is part of
# the key as in _decoded. A name that resolves to nothing raises each time.
@functools.lru_cache(maxsize=1024)
def _resolved(
    cluster_id: int, command_name: str, direction: Direction | None, _definition: object
) -> tuple[foundation.ZCLCommandDef, bool, Direction]:
    label = cluster_label(cluster_id)
    found = [
        (side, command)
        for side, command in iter_commands(cluster_id)
        if command.name == command_name and direction in (None, side)
    ]
    if len(found) > 1:
        raise ZclEncodeError(f"{label} {command_name}: defined in both directions, give direction=")
    if found:
        side, command = found[0]
        return command, True, side
    command = _GLOBAL_BY_NAME.get(command_name)
    if command is None:
        raise ZclEncodeError(f"{label}: no command named {command_name!r}")
    if direction is None:
        raise ZclEncodeError(f"{label} {command_name}: a global command goes either way, give direction=")
    return command, False, direction


def _made(
    cluster_id: int,
    command_name: str,
    *,
    tsn: int,
    direction: Direction | str | None = None,
    disable_default_response: bool = False,
    manufacturer_code: int | None = None,
    trailing: bytes = b"",
    **fields: Any,
) -> tuple[ZclFrame, bytes]:
    """(the frame, its octets): built and encoded once, so a bad value fails here, next to
    the caller's values, not at send time."""
    wanted = None if direction is None else Direction(direction)
    command, is_cluster_specific, resolved = _resolve(cluster_id, command_name, wanted)
    what = f"{cluster_label(cluster_id)} {command_name}"
    if is_cluster_specific and manufacturer_code is not None:
        raise ZclEncodeError(f"{what}: SE cluster commands are not manufacturer-specific")
    frame = ZclFrame(
        cluster_id=cluster_id,
        tsn=tsn,
        command_id=int(command.id),
        is_cluster_specific=is_cluster_specific,
        direction=resolved,
        disable_default_response=disable_default_response,
        manufacturer_code=manufacturer_code,
        command_name=command_name,
        fields=_typed_fields(command.schema, fields, what),
        trailing=trailing,
    )
    return frame, encode(frame)


def make_frame(
    cluster_id: int,
    command_name: str,
    *,
    tsn: int,
    direction: Direction | str | None = None,
    disable_default_response: bool = False,
    manufacturer_code: int | None = None,
    trailing: bytes = b"",
    **fields: Any,
) -> ZclFrame:
    """A ZclFrame with typed fields. Cluster commands infer their direction. It is encoded
    once, so a bad value fails here, next to the caller's values, not at send time."""
    frame, _octets = _made(
        cluster_id,
        command_name,
        tsn=tsn,
        direction=direction,
        disable_default_response=disable_default_response,
        manufacturer_code=manufacturer_code,
        trailing=trailing,
        **fields,
    )
    return frame


def build(cluster_id: int, command_name: str, **kwargs: Any) -> bytes:
    """The encoded frame; same arguments as ``make_frame``. One encode: the octets the
    frame's own check made (encoding is a pure function of the frame)."""
    return _made(cluster_id, command_name, **kwargs)[1]


def default_response(
    command_id: int,
    status: foundation.Status | int,
    *,
    tsn: int,
    direction: Direction | str,
    cluster_id: int = 0x0000,
    manufacturer_code: int | None = None,
    disable_default_response: bool = False,
) -> bytes:
    """Default Response (global 0x0B).

    ``direction`` is this frame's own: the reverse of the command it answers (a client
    answering Publish CoT sends to_server). ``cluster_id`` only labels errors.
    """
    return build(
        cluster_id,
        "default_response",
        tsn=tsn,
        direction=direction,
        disable_default_response=disable_default_response,
        manufacturer_code=manufacturer_code,
        command_id=command_id,
        status=foundation.Status(status),
    )


def default_response_to(
    frame: ZclFrame,
    status: foundation.Status | int,
    *,
    disable_default_response: bool = False,
) -> bytes:
    """The Default Response answering ``frame``: same TSN and manufacturer, reversed."""
    return default_response(
        frame.command_id,
        status,
        tsn=frame.tsn,
        direction=frame.direction.flip(),
        cluster_id=frame.cluster_id,
        manufacturer_code=frame.manufacturer_code,
        disable_default_response=disable_default_response,
    )
