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
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import zigpy.types as t
import zigpy.zcl
from zigpy.zcl import foundation

from harness.zcl.device_management import DeviceManagement
from harness.zcl.fields import FieldError, read_fields
from harness.zcl.messaging import Messaging
from harness.zcl.metering import Metering
from harness.zcl.prepayment import Prepayment
from harness.zcl.time import format_zcl_utc


class Direction(enum.StrEnum):
    TO_SERVER = "to_server"
    TO_CLIENT = "to_client"

    def flip(self) -> Direction:
        if self is Direction.TO_SERVER:
            return Direction.TO_CLIENT
        return Direction.TO_SERVER

    def to_zigpy(self) -> foundation.Direction:
        if self is Direction.TO_SERVER:
            return foundation.Direction.Client_to_Server
        return foundation.Direction.Server_to_Client

    @classmethod
    def from_zigpy(cls, direction: foundation.Direction) -> Direction:
        if direction == foundation.Direction.Client_to_Server:
            return cls.TO_SERVER
        return cls.TO_CLIENT


class ZclDecodeError(ValueError):
    """The one error ``decode`` raises for a short or malformed frame."""

    def __init__(
        self,
        message: str,
        *,
        cluster_id: int,
        command_id: int | None = None,
        command_name: str | None = None,
        field: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.cluster_id = cluster_id
        self.command_id = command_id
        self.command_name = command_name
        self.field = field
        self.offset = offset


class ZclEncodeError(ValueError):
    """A frame that cannot be encoded: unknown command or field, missing/bad value."""


@dataclass(frozen=True)
class ZclFrame:
    cluster_id: int
    tsn: int
    command_id: int
    is_cluster_specific: bool  # False: a global (foundation) command
    direction: Direction
    disable_default_response: bool
    manufacturer_code: int | None
    command_name: str
    fields: Mapping[str, Any] = field(default_factory=dict, hash=False)  # wire order
    trailing: bytes = b""
    frame_control_reserved: int = 0  # bits 5-7, kept so re-encoding is byte-exact

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "fields", dict(self.fields))
        object.__setattr__(self, "trailing", bytes(self.trailing))


# Ours first, so lookups do not depend on registry order; zigpy's registry for the rest
# (Basic, Time, ...), which only matters for their names and global commands.
CLUSTERS: Final[Mapping[int, type[zigpy.zcl.Cluster]]] = types.MappingProxyType(
    {int(c.cluster_id): c for c in (Metering, Messaging, Prepayment, DeviceManagement)}
)
_CLUSTER_NAMES: Final = {
    0x0000: "Basic",
    0x000A: "Time",
    0x0702: "Metering",
    0x0703: "Messaging",
    0x0705: "Prepayment",
    0x0708: "Device Management",
}
_GLOBAL_BY_ID: Final = {int(i): d for i, d in foundation.GENERAL_COMMANDS.items()}
_GLOBAL_BY_NAME: Final = {d.name.lower(): d for d in _GLOBAL_BY_ID.values()}


def cluster_class(cluster_id: int) -> type[zigpy.zcl.Cluster] | None:
    return CLUSTERS.get(cluster_id) or zigpy.zcl.Cluster._registry.get(cluster_id)


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


def _decode_header(cluster_id: int, data: bytes) -> tuple[foundation.ZCLHeader, bytes]:
    label = cluster_label(cluster_id)
    if not data:
        raise ZclDecodeError(
            f"{label}: frame is empty, a ZCL header needs 3 octets (command unknown)",
            cluster_id=cluster_id,
        )
    needed = 5 if data[0] & 0x04 else 3  # a manufacturer code adds 2 octets
    if len(data) < needed:
        raise ZclDecodeError(
            f"{label}: ZCL header is {len(data)} octets, frame control"
            f" 0x{data[0]:02X} needs {needed} (command unknown)",
            cluster_id=cluster_id,
        )
    if data[0] & 0x03 > 1:
        raise ZclDecodeError(
            f"{label}: reserved frame type {data[0] & 0x03} in frame control 0x{data[0]:02X}",
            cluster_id=cluster_id,
        )
    return foundation.ZCLHeader.deserialize(data)


def decode(cluster_id: int, data: bytes) -> ZclFrame:
    """Decode a ZCL frame (header and payload, as carried in the APS payload)."""
    data = bytes(data)
    header, payload = _decode_header(cluster_id, data)
    fc = header.frame_control
    direction = Direction.from_zigpy(fc.direction)
    is_cluster_specific = fc.frame_type == foundation.FrameType.CLUSTER_COMMAND
    manufacturer = None if header.manufacturer is None else int(header.manufacturer)
    command_id = int(header.command_id)
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
        tsn=int(header.tsn),
        command_id=command_id,
        is_cluster_specific=is_cluster_specific,
        direction=direction,
        disable_default_response=bool(fc.disable_default_response),
        manufacturer_code=manufacturer,
        command_name=name,
        fields=fields,
        trailing=payload[consumed:],
        frame_control_reserved=int(fc.reserved),
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
            typed[f.name] = f._convert_type(value)
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


def encode(frame: ZclFrame) -> bytes:
    what = f"{cluster_label(frame.cluster_id)} {frame.command_name}"
    frame_type = (
        foundation.FrameType.CLUSTER_COMMAND if frame.is_cluster_specific else foundation.FrameType.GLOBAL_COMMAND
    )
    try:
        frame_control = foundation.FrameControl(
            frame_type=frame_type,
            is_manufacturer_specific=frame.manufacturer_code is not None,
            direction=frame.direction.to_zigpy(),
            disable_default_response=bool(frame.disable_default_response),
            reserved=frame.frame_control_reserved,
        )
        header = foundation.ZCLHeader(
            frame_control=frame_control,
            manufacturer=frame.manufacturer_code,
            tsn=frame.tsn,
            command_id=frame.command_id,
        ).serialize()
    except (TypeError, ValueError) as exc:
        raise ZclEncodeError(f"{what}: bad header value ({exc})") from exc
    return header + _encode_payload(frame, what)


def _resolve(
    cluster_id: int, command_name: str, direction: Direction | None
) -> tuple[foundation.ZCLCommandDef, bool, Direction]:
    """(definition, is_cluster_specific, direction) for a command name."""
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
    """A ZclFrame with typed fields. Cluster commands infer their direction."""
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
    encode(frame)  # fail here, next to the caller's values, not at send time
    return frame


def build(cluster_id: int, command_name: str, **kwargs: Any) -> bytes:
    """The encoded frame; same arguments as ``make_frame``."""
    return encode(make_frame(cluster_id, command_name, **kwargs))


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


# --- description ----------------------------------------------------------------------

_WORDS: Final = {
    "cin": "CIN",
    "cot": "CoT",
    "id": "ID",
    "ihd": "IHD",
    "of": "of",
    "rsp": "Response",
}


def command_title(command_name: str) -> str:
    """ "publish_change_of_tenancy" -> "Publish Change of Tenancy"."""
    return " ".join(_WORDS.get(w, w.capitalize()) for w in command_name.split("_"))


def _octets(value: bytes) -> str:
    if value and all(0x20 <= b < 0x7F for b in value):
        return repr(value.decode("ascii"))
    return f"0x{value.hex().upper()}" if value else "''"


def _bitmap(value: enum.Flag) -> str:
    text = f"0x{int(value):0{value._bits // 4}X}"
    known = [m for m in type(value) if m in value]
    if not known:
        return text
    rest = int(value) & ~sum(int(m) for m in known)
    names = [str(m.name) for m in known] + ([f"0x{rest:X}"] if rest else [])
    return f"{text} ({'|'.join(names)})"


def format_value(value: Any) -> str:
    """Log text for one decoded field value."""
    if isinstance(value, t.UTCTime):
        return format_zcl_utc(value)
    if isinstance(value, enum.Flag):
        return _bitmap(value)
    if isinstance(value, enum.Enum):
        return str(value.name)
    if isinstance(value, t.Struct) and not isinstance(value, int):
        items = value.as_dict().items()
        return "{" + " ".join(f"{k}={format_value(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, bytes):
        return _octets(value)
    return repr(value)


def describe(frame: ZclFrame) -> str:
    """One line for logs and Allure steps."""
    command = f"0x{frame.command_id:02X}"
    if not frame.is_cluster_specific:
        command = f"global {command}"
    title = command_title(frame.command_name)
    parts = [
        f"{title} (0x{frame.cluster_id:04X}/{command} {frame.direction})",
        f"tsn={frame.tsn}",
    ]
    if frame.manufacturer_code is not None:
        parts.append(f"manufacturer=0x{frame.manufacturer_code:04X}")
    if frame.disable_default_response:
        parts.append("disable_default_response")
    parts += [f"{k}={format_value(v)}" for k, v in frame.fields.items()]
    if frame.trailing:
        parts.append(f"trailing=0x{frame.trailing.hex().upper()}")
    return " ".join(parts)
