"""harness.zcl.seams against the installed zigpy: each private attribute a seam wraps
still exists and still means what the seam says. A failure names the zigpy version and
the attribute, so an upgrade says what moved."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import zigpy.types as t
import zigpy.zcl
from zigpy.zcl.clusters import general

from harness.zcl import DeviceManagement, KeyEstablishment, Messaging, Metering, Prepayment, seams
from tests.source_tree import parse

ZIGPY = f"zigpy {seams.zigpy_version()}"
ZCL_DIR = Path(seams.__file__).resolve().parent


def require(owner: object, name: str, seam: str) -> None:
    """Fail loudly when ``owner`` lost the private attribute ``seam`` wraps."""
    assert hasattr(owner, name), (
        f"{ZIGPY}: {getattr(owner, '__qualname__', owner)!r} no longer has {name};"
        f" harness.zcl.seams.{seam} has to be updated for this zigpy version"
    )


# -- registered_cluster: Cluster._registry ------------------------------------------------


def test_registered_cluster_is_zigpys_registry() -> None:
    require(zigpy.zcl.Cluster, "_registry", "registered_cluster")
    assert isinstance(zigpy.zcl.Cluster._registry, dict), f"{ZIGPY}: Cluster._registry is no longer a dict"
    assert seams.registered_cluster(general.Basic.cluster_id) is general.Basic
    assert seams.registered_cluster(general.Time.cluster_id) is general.Time
    assert seams.registered_cluster(0x7FFE) is None


def test_registered_cluster_holds_this_packages_replacements() -> None:
    # Subclassing with the same cluster_id must still replace zigpy's class in the registry.
    for cls in (DeviceManagement, Messaging, Metering, Prepayment, KeyEstablishment):
        assert seams.registered_cluster(cls.cluster_id) is cls, (
            f"{ZIGPY}: registering a Cluster subclass no longer replaces Cluster._registry[0x{cls.cluster_id:04X}]"
        )


# -- convert_field: StructField._convert_type ---------------------------------------------


def _field(schema: type[t.Struct], name: str) -> t.StructField:
    return next(f for f in schema.fields if f.name == name)


def test_convert_field_types_a_value_as_zigpy_does() -> None:
    schema = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.schema
    provider = _field(schema, "provider_id")
    require(provider, "_convert_type", "convert_field")
    value = seams.convert_field(provider, 5)
    assert type(value) is t.uint32_t and value == 5
    assert seams.convert_field(provider, value) is value  # already typed: unchanged


def test_convert_field_raises_value_error_naming_the_field() -> None:
    schema = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.schema
    with pytest.raises(ValueError, match="provider_id"):
        seams.convert_field(_field(schema, "provider_id"), -1)


# -- bit_width: FixedIntType._bits --------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "bits"),
    [
        (t.uint8_t, 8),
        (t.uint24_t, 24),
        (t.int24s, 24),
        (t.uint48_t, 48),
        (t.bitmap8, 8),
        (t.bitmap32, 32),
        (t.enum8, 8),
    ],
)
def test_bit_width(tp: type, bits: int) -> None:
    require(tp, "_bits", "bit_width")
    assert seams.bit_width(tp) == bits
    assert len(tp(0).serialize()) * 8 == bits


def test_bit_width_of_sub_octet_types() -> None:
    assert seams.bit_width(t.uint4_t) == 4
    assert seams.bit_width(t.bitmap2) == 2


# -- prefix_length / invalid_length: LVBytes/CharacterString._prefix_length, _invalid_length


@pytest.mark.parametrize(
    ("tp", "octets"),
    [(t.LVBytes, 1), (t.LongOctetString, 2), (t.CharacterString, 1), (t.LongCharacterString, 2)],
)
def test_prefix_length(tp: type, octets: int) -> None:
    require(tp, "_prefix_length", "prefix_length")
    assert seams.prefix_length(tp) == octets
    sample = tp(b"ab") if issubclass(tp, bytes) else tp("ab")
    assert len(sample.serialize()) == octets + 2


def test_invalid_length_is_the_invalid_string_marker() -> None:
    require(t.CharacterString, "_invalid_length", "invalid_length")
    assert seams.invalid_length(t.CharacterString) == 0xFF
    decoded, rest = t.CharacterString.deserialize(b"\xff")
    assert decoded.invalid and rest == b"", f"{ZIGPY}: a 0xFF length no longer decodes as an invalid string"
    assert t.CharacterString("ab").serialize() == b"\x02ab"


# -- max_length: _max_len ------------------------------------------------------------------


@pytest.mark.parametrize("factory", [t.LimitedLVBytes, t.LimitedCharString])
def test_max_length_of_limited_types(factory: object) -> None:
    tp = factory(16)  # type: ignore[operator]
    # max_length() treats absence as "no limit", so only this test can notice a rename.
    name = factory.__name__  # type: ignore[attr-defined]
    assert "_max_len" in vars(tp), (
        f"{ZIGPY}: {name}(16) no longer sets _max_len; harness.zcl.seams.max_length needs updating"
    )
    assert seams.max_length(tp) == 16
    too_long = tp(b"x" * 17) if issubclass(tp, bytes) else tp("x" * 17)
    with pytest.raises(ValueError):
        too_long.serialize()


def test_max_length_of_unlimited_types_is_none() -> None:
    assert seams.max_length(t.LVBytes) is None
    assert seams.max_length(t.CharacterString) is None
    assert seams.max_length(t.uint8_t) is None


# -- item_type / count_type / fixed_length: the list types' _item_type, _length_type,
#    _size_type and _length ----------------------------------------------------------------


@pytest.mark.parametrize(
    "tp",
    [t.List[t.uint16_t], t.LVList[t.uint16_t], t.FixedList[t.uint16_t, 3], t.SizePrefixedList[t.uint16_t]],
)
def test_item_type(tp: type) -> None:
    require(tp, "_item_type", "item_type")
    assert seams.item_type(tp) is t.uint16_t


def test_count_type() -> None:
    require(t.LVList, "_length_type", "count_type")
    require(t.SizePrefixedList, "_size_type", "count_type")
    assert seams.count_type(t.LVList[t.uint16_t]) is t.uint8_t
    assert seams.count_type(t.LVList[t.uint16_t, t.uint16_t]) is t.uint16_t
    assert seams.count_type(t.SizePrefixedList[t.uint8_t, t.uint16_t]) is t.uint16_t
    assert t.LVList[t.uint8_t, t.uint16_t]([]).serialize() == b"\x00\x00"


def test_fixed_length() -> None:
    require(t.EUI64, "_length", "fixed_length")
    assert seams.fixed_length(t.EUI64) == 8
    assert seams.fixed_length(t.KeyData) == 16
    assert seams.fixed_length(t.FixedList[t.uint8_t, 3]) == 3


# -- a moved attribute is reported, not an AttributeError deep in the codec ---------------


def test_a_missing_attribute_names_zigpy_and_the_seam() -> None:
    with pytest.raises(seams.SeamBroken) as caught:
        seams.bit_width(int)
    message = str(caught.value)
    assert ZIGPY in message and "_bits" in message and "bit_width" in message


# -- nothing else in harness/zcl touches a private name -----------------------------------


def _private_uses(path: Path) -> list[str]:
    """Underscore attribute accesses (dunders aside) and getattr-style string lookups."""
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
        ):
            found.append(f"{path.name}:{node.lineno} {node.func.id}(..., {node.args[1].value!r})")
    return found


def test_only_the_seams_module_uses_zigpy_private_names() -> None:
    modules = sorted(p for p in ZCL_DIR.glob("*.py") if p.name != "seams.py")
    assert modules
    uses = [use for path in modules for use in _private_uses(path)]
    assert not uses, f"private attribute use outside harness/zcl/seams.py: {uses}"
