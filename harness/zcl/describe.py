"""Human-readable ZCL: one log line per frame, field values as an engineer reads them.

Separate from the codec because it is presentation, not wire format: titles
("Publish Change of Tenancy"), UTC times, bitmaps with their flag names, printable octet
strings. Logs, Allure steps and trace files use it; encode and decode never do. It is
re-exported from ``harness.zcl.codec`` and ``harness.zcl``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final

import zigpy.types as t

from harness.zcl import seams
from harness.zcl.time import format_zcl_utc

if TYPE_CHECKING:
    from harness.zcl.codec import ZclFrame

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
    text = f"0x{int(value):0{seams.bit_width(type(value)) // 4}X}"
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
