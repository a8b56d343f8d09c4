"""Every place harness/zcl reaches into zigpy's private attributes, one function each.

zigpy (pinned 2.4.x) keeps some facts about its types only in underscore attributes:
an integer's bit width, a string's length-prefix size, a list's item type, the cluster
registry. The codec needs those facts to walk schemas field by field and to encode byte
for byte, and zigpy has no public accessor for them. Keeping each access here, behind a
named function, means a zigpy upgrade that renames one breaks one function (and its test
in tests/zcl/test_seams.py names the attribute and the zigpy version), not the codec.

Nothing else in harness/zcl may touch a zigpy underscore name.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import zigpy.types as t
import zigpy.zcl


def zigpy_version() -> str:
    return importlib.metadata.version("zigpy")


def versions(*packages: str) -> str:
    """e.g. "zigpy 2.4.0, zigpy-znp 1.1.1", for seam failure messages."""
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in packages)


class SeamBroken(AttributeError):
    """zigpy (or zigpy-znp) no longer has a private attribute a seam relies on."""


def private_attribute(obj: Any, name: str, seam: str, packages: tuple[str, ...] = ("zigpy",)) -> Any:
    """obj.<name>, or SeamBroken naming the owner, the installed versions and the seam
    (a dotted path such as "harness.zcl.seams.bit_width") that needs updating."""
    try:
        return getattr(obj, name)
    except AttributeError as exc:
        owner = obj if isinstance(obj, type) else type(obj)
        raise SeamBroken(
            f"{versions(*packages)}: {owner.__module__}.{owner.__qualname__} has no {name}; {seam} needs updating"
        ) from exc


def _private(obj: Any, name: str, seam: str) -> Any:
    return private_attribute(obj, name, f"harness.zcl.seams.{seam}")


def registered_cluster(cluster_id: int) -> type[zigpy.zcl.Cluster] | None:
    """zigpy's cluster class for an ID, as a device would get it (None when unknown).

    Wraps ``zigpy.zcl.Cluster._registry``: the only public lookup, ``Cluster.from_id``,
    instantiates the cluster on an endpoint; the codec only wants the class (its names
    and command schemas).
    """
    registry: dict = _private(zigpy.zcl.Cluster, "_registry", "registered_cluster")
    return registry.get(cluster_id)


def convert_field(field: t.StructField, value: Any) -> Any:
    """``value`` as the field's zigpy type, ValueError naming the field when it is not.

    Wraps ``StructField._convert_type``: the conversion (and error text) zigpy applies
    when a Struct is built, used here so fields are typed one at a time, before encoding.
    """
    return _private(field, "_convert_type", "convert_field")(value)


def bit_width(tp: type) -> int:
    """Bits of a fixed-size integer type (uint24_t -> 24, bitmap8 -> 8, enum8 -> 8).

    Wraps ``FixedIntType._bits``: field sizes for short-frame messages and minimum
    payload lengths, and the hex width bitmaps are shown with.
    """
    return _private(tp, "_bits", "bit_width")


def prefix_length(tp: type) -> int:
    """Octets of the length prefix of an LVBytes or CharacterString type (1 or 2).

    Wraps ``LVBytes._prefix_length`` / ``CharacterString._prefix_length``: how many
    octets a string needs before zigpy can tell its length.
    """
    return _private(tp, "_prefix_length", "prefix_length")


def invalid_length(tp: type) -> int:
    """The length-prefix value that marks a CharacterString "invalid" (0xFF for 1 octet).

    Wraps ``CharacterString._invalid_length``: that prefix carries no octets, and the
    byte-exact CharString has to write it back as zigpy reads it.
    """
    return _private(tp, "_invalid_length", "invalid_length")


def max_length(tp: type) -> int | None:
    """The declared maximum of a LimitedLVBytes/LimitedCharString, None when unlimited.

    Wraps ``_max_len``, which zigpy checks only when encoding; the decoder checks it too
    so decode and encode accept the same frames. Absence means "no limit", so this
    seam cannot fail by itself: its test checks zigpy's limited types still carry it.
    """
    return getattr(tp, "_max_len", None)


def item_type(tp: type) -> type:
    """The item type of a List, LVList, FixedList or SizePrefixedList type.

    Wraps ``_item_type``: lists are decoded item by item to name the short item.
    """
    return _private(tp, "_item_type", "item_type")


def count_type(tp: type) -> type:
    """The integer type of an LVList's item count or a SizePrefixedList's octet size.

    Wraps ``LVList._length_type`` / ``SizePrefixedList._size_type``: the prefix is the
    part of such a list a minimum frame still has to carry.
    """
    name = "_size_type" if issubclass(tp, t.SizePrefixedList) else "_length_type"
    return _private(tp, name, "count_type")


def fixed_length(tp: type) -> int:
    """The item count of a FixedList type (EUI64 -> 8, KeyData -> 16).

    Wraps ``FixedList._length``.
    """
    return _private(tp, "_length", "fixed_length")


__all__ = [
    "SeamBroken",
    "private_attribute",
    "versions",
    "bit_width",
    "convert_field",
    "count_type",
    "fixed_length",
    "invalid_length",
    "item_type",
    "max_length",
    "prefix_length",
    "registered_cluster",
    "zigpy_version",
]
