"""zigpy-znp's NV tools against the emulated stick, measured against a real CC2652R's dumps.

`nvram_read` and `nvram_write` run as real subprocesses over the stick's TCP port. The
reference is zigpy-znp's own dump of a CC2652R on Z-Stack 3.30+ before and after forming
(tests/stick/data): the same items with the same lengths, the same table sizes, network
tables only after formation, and a full dump written and read back byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from tests.stick.conftest import DATA, EmulatedStick, read_json, zigpy_cli, znp_tool

RESET_DUMP = DATA / "CC2652R-ZStack4.reset.json"
FORMED_DUMP = DATA / "CC2652R-ZStack4.formed.json"
# Written by zigpy-znp itself when it starts a network, not by Z-Stack: not in a blank dump.
WRITTEN_BY_THE_HOST = {"HAS_CONFIGURED_ZSTACK3"}


def _shape(dump: dict) -> dict[str, dict[str, int]]:
    """Item -> length for the legacy items; table -> sub-ID -> length for the others."""
    shape: dict[str, dict[str, int]] = {}
    for section, items in dump.items():
        shape[section] = {name: len(value) // 2 for name, value in items.items()}
    return shape


def _nvram_read(stick: EmulatedStick, out: Path) -> dict:
    znp_tool("nvram_read", stick.path, "-o", str(out))
    return read_json(out)


def test_a_blank_stick_holds_the_items_of_a_blank_cc2652r(stick: EmulatedStick, tmp_path: Path) -> None:
    ours = _shape(_nvram_read(stick, tmp_path / "blank.json"))
    real = _shape(read_json(RESET_DUMP))
    assert ours["LEGACY"] == real["LEGACY"], "legacy NV items or lengths differ from the CC2652R reset dump"
    assert set(ours) == set(real), f"tables on a blank stick: {sorted(ours)} (a real one: {sorted(real)})"
    for table in ("TCLK_TABLE", "APS_KEY_DATA_TABLE", "NWK_SEC_MATERIAL_TABLE"):
        assert ours[table] == real[table], f"{table}: {len(ours[table])} entries, a real stick {len(real[table])}"
    assert len(ours["TCLK_TABLE"]) == 200
    assert "ADDRMGR" not in ours and "NIB" not in ours["LEGACY"]  # only after formation


def test_formation_creates_the_tables_a_cc2652r_creates(stick: EmulatedStick, tmp_path: Path) -> None:
    zigpy_cli(stick.path, "form")
    ours = _shape(_nvram_read(stick, tmp_path / "formed.json"))
    real = _shape(read_json(FORMED_DUMP))
    assert set(ours) == set(real), f"tables after forming: {sorted(ours)} (a real one: {sorted(real)})"
    missing = set(real["LEGACY"]) - set(ours["LEGACY"]) - WRITTEN_BY_THE_HOST
    assert not missing, f"legacy items a formed CC2652R has and the emulator not: {sorted(missing)}"
    lengths = {k: (v, real["LEGACY"][k]) for k, v in ours["LEGACY"].items() if real["LEGACY"].get(k, v) != v}
    assert not lengths, f"legacy item lengths (ours, real) differ: {lengths}"
    for table, entries in real.items():
        if table != "LEGACY":
            assert ours[table] == entries, f"{table}: {len(ours[table])} entries, a formed CC2652R {len(entries)}"
    assert len(ours["ADDRMGR"]) == 257


def test_the_upstream_cc2652r_dump_writes_and_reads_back_byte_for_byte(stick: EmulatedStick, tmp_path: Path) -> None:
    znp_tool("nvram_write", stick.path, "-i", str(FORMED_DUMP))
    back = _nvram_read(stick, tmp_path / "back.json")
    dump = read_json(FORMED_DUMP)
    for section, items in dump.items():
        differ = [name for name, value in items.items() if back.get(section, {}).get(name) != value]
        assert not differ, f"{section}: {len(differ)} items read back differently, first {differ[:5]}"
    # The stick now runs the dump's network: its trust centre knows the dump's devices.
    known = stick.call(lambda: dict(stick.emulator.joined))
    assert len(known) >= 3, f"devices in the restored address manager the trust centre knows: {known}"


def test_nvram_reset_leaves_what_a_reset_cc2652r_holds(stick: EmulatedStick, tmp_path: Path) -> None:
    zigpy_cli(stick.path, "form")
    znp_tool("nvram_reset", stick.path)
    ours = _shape(_nvram_read(stick, tmp_path / "reset.json"))
    assert ours == _shape(read_json(RESET_DUMP)), "after nvram_reset the NV differs from the CC2652R reset dump"
