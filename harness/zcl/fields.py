"""Field-by-field decoding of zigpy schemas.

zigpy's ``Struct.deserialize`` reports a short frame as a bare ``ValueError("Data is too
short")``. A conformance harness has to say which field of which command was short and
by how much, so this walks the same schema declarations (fields, ``optional``,
``requires``, ``length``) one field at a time and raises ``FieldError`` with the field's
path and offset. Leaf values are still produced by the zigpy types' own ``deserialize``.
"""

from __future__ import annotations

import functools
import types
from typing import Any

import zigpy.types as t

from harness.zcl import seams


class FieldError(Exception):
    """A field that is short (``missing`` octets) or malformed (``cause``)."""

    def __init__(
        self,
        path: str,
        offset: int,
        *,
        missing: int | None = None,
        cause: Exception | None = None,
    ) -> None:
        super().__init__(path, offset, missing, cause)
        self.path = path
        self.offset = offset
        self.missing = missing
        self.cause = cause

    @property
    def detail(self) -> str:
        if self.missing is not None:
            return f"needs {self.missing} more at offset {self.offset}"
        return f"at offset {self.offset} is malformed ({self.cause})"


def _inherits(tp: type, base: type, method: str) -> bool:
    """True when ``tp`` uses ``base``'s classmethod rather than its own override."""
    return getattr(tp, method).__func__ is getattr(base, method).__func__


# What read_value asks of a type (is it a walkable Struct, an open list, how long is its
# prefix...) depends on the type alone, and a simulated run decodes tens of thousands of
# values of a few dozen types: each answer is worked out once per type (functools.cache).
@functools.cache
def _is_walkable_struct(tp: type) -> bool:
    """A plain Struct whose fields all start and end on octet boundaries."""
    if not issubclass(tp, t.Struct) or issubclass(tp, int):
        return False  # IntStructs are fixed-size integers, read whole
    if not _inherits(tp, t.Struct, "deserialize"):
        return False
    return not any(issubclass(f.type, t.FixedIntType) and seams.bit_width(f.type) % 8 for f in tp.fields)


@functools.cache
def _is_open_list(tp: type) -> bool:
    """t.List[...] without a count: items until the payload ends."""
    return issubclass(tp, t.List) and _inherits(tp, t.List, "deserialize")


@functools.cache
def _size_facts(tp: type) -> tuple[int | None, int | None, int | None]:
    """(octets of a fixed-size integer, else None; octets of a string's length prefix,
    else None; the prefix value a CharacterString reads as "invalid", else None)."""
    if issubclass(tp, t.FixedIntType):
        bits = seams.bit_width(tp)
        return (None if bits % 8 else bits // 8), None, None
    if issubclass(tp, t.LVBytes | t.CharacterString):
        invalid = seams.invalid_length(tp) if issubclass(tp, t.CharacterString) else None
        return None, seams.prefix_length(tp), invalid
    return None, None, None


@functools.cache
def _zigpy_int_octets(tp: type) -> int | None:
    """Octets of an octet-aligned integer type that zigpy's FixedIntType reads (not a type
    with its own deserialize, which may read otherwise); None for any other type."""
    if not issubclass(tp, t.FixedIntType) or not _inherits(tp, t.FixedIntType, "deserialize"):
        return None
    return _size_facts(tp)[0]


def _missing(tp: type, data: bytes, pos: int) -> int | None:
    """Octets short of what ``tp`` needs at ``pos``; None when the type cannot tell."""
    available = len(data) - pos
    fixed, prefix, invalid = _size_facts(tp)
    if fixed is not None:
        return max(0, fixed - available)
    if prefix is None:
        return None
    if available < prefix:
        return prefix - available
    length = int.from_bytes(data[pos : pos + prefix], "little")
    if length == invalid:
        return 0  # the "invalid string" marker carries no octets
    return max(0, prefix + length - available)


_max_length = functools.cache(seams.max_length)
_item_type = functools.cache(seams.item_type)


def read_value(tp: type, data: bytes, pos: int, path: str) -> tuple[Any, int]:
    """Decode one ``tp`` at ``pos``; returns the value and the offset after it."""
    if _is_walkable_struct(tp):
        values, pos = read_fields(tp.fields, data, pos, f"{path}.")
        return tp(**values), pos
    if _is_open_list(tp):
        items: list[Any] = []
        while pos < len(data):
            item, pos = read_value(_item_type(tp), data, pos, f"{path}[{len(items)}]")
            items.append(item)
        return tp(items), pos

    fixed = _zigpy_int_octets(tp)
    if fixed is not None:
        # zigpy's own deserialize on exactly the integer's octets: handing it the rest of
        # the frame, as below, copies that rest once per field (twice, with what it returns).
        end = pos + fixed
        if end > len(data):
            raise FieldError(path, pos, missing=end - len(data))
        try:
            value, _rest = tp.deserialize(data[pos:end])
        except Exception as exc:  # an enum's unknown value, for one
            raise FieldError(path, pos, cause=exc) from exc
        return value, end

    missing = _missing(tp, data, pos)
    if missing:
        raise FieldError(path, pos, missing=missing)
    try:
        value, rest = tp.deserialize(data[pos:])
    except Exception as exc:  # zigpy raises ValueError, KeyError, struct.error...
        raise FieldError(path, pos, cause=exc) from exc

    # zigpy checks a string's declared maximum only when encoding; a longer one on the
    # wire is just as malformed, and accepting it would make decode/encode asymmetric.
    max_len = _max_length(tp)
    if max_len is not None and len(value) > max_len:
        too_long = ValueError(f"{len(value)} long, at most {max_len} allowed")
        raise FieldError(path, pos, cause=too_long)
    return value, len(data) - len(rest)


def read_fields(fields: list[t.StructField], data: bytes, pos: int = 0, prefix: str = "") -> tuple[dict[str, Any], int]:
    """Decode a schema's fields from ``pos``; absent optional fields are left out."""
    # `requires` and `length` callables read earlier fields as attributes, as on Structs
    seen = types.SimpleNamespace(**{f.name: None for f in fields})
    values: dict[str, Any] = {}
    for f in fields:
        if f.requires is not None and not f.requires(seen):
            continue
        if f.optional and pos >= len(data):
            continue  # optional trailing fields end where the frame ends
        path = f"{prefix}{f.name}"
        if f.length is not None:
            items = []
            for index in range(f.length(seen)):
                item, pos = read_value(_item_type(f.type), data, pos, f"{path}[{index}]")
                items.append(item)
            value = f.type(items)
        else:
            value, pos = read_value(f.type, data, pos, path)
        values[f.name] = value
        setattr(seen, f.name, value)
    return values, pos


def _min_field_bits(f: t.StructField, path: str) -> int:
    if f.optional or f.requires is not None or f.length is not None:
        return 0  # may be absent, or counted by an earlier field that may say 0
    return _min_bits(f.type, path)


def _min_bits(tp: type, path: str) -> int:
    if issubclass(tp, t.FixedIntType):
        return seams.bit_width(tp)
    if issubclass(tp, t.LVBytes | t.CharacterString):
        return 8 * seams.prefix_length(tp)  # an empty string is its length prefix
    if issubclass(tp, t.LVList | t.SizePrefixedList):
        return seams.bit_width(seams.count_type(tp))  # an empty list is its count
    if issubclass(tp, t.FixedList):
        return seams.fixed_length(tp) * _min_bits(seams.item_type(tp), f"{path}[]")
    if issubclass(tp, t.List | t.Bytes):
        return 0  # runs to the end of the frame, which may be now
    if issubclass(tp, t.Struct):
        return sum(_min_field_bits(f, f"{path}.{f.name}") for f in tp.fields)
    raise TypeError(f"field {path}: no minimum size known for {tp.__module__}.{tp.__qualname__}")


def min_octets(fields: list[t.StructField]) -> int:
    """The fewest octets a payload of these fields can have: fixed-size fields in full,
    strings and counted lists as their length prefix, optional fields not at all.

    TypeError names a field whose type's size cannot be derived.
    """
    bits = sum(_min_field_bits(f, f.name) for f in fields)
    return (bits + 7) // 8
