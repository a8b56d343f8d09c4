"""zigpy-znp's network tools against the emulated stick: backup, restore, energy and network scan.

Each tool runs as a real subprocess over the stick's TCP port. A join goes through the
trust centre as on a real stick (a host opens permit-join, the device joins), so the
backup must find it in NV with its link key; a restore of a 20-device backup must keep all
20 devices and keys (the old emulator's 8-entry address manager kept 8, silently).
"""

from __future__ import annotations

import re
from pathlib import Path

import zigpy.types as zt
import zigpy_znp.types as t
from zigpy_znp.znp.security import compute_key, find_key_shift

from harness.sim.air import ForeignNetwork
from tests.stick.conftest import EmulatedStick, join_one, read_json, start_host, zigpy_cli, znp_tool

UNIT_IEEE = "00:0d:6f:00:0a:bc:de:f0"


def _backup(stick: EmulatedStick, out: Path) -> dict:
    znp_tool("network_backup", stick.path, "-o", str(out))
    return read_json(out)


def _devices(backup: dict) -> dict[str, dict]:
    return {d["ieee_address"]: d for d in backup["devices"]}


def _plain(ieee: str) -> str:
    return ieee.replace(":", "").lower()


def test_network_backup_lists_the_joined_unit_with_its_link_key(stick: EmulatedStick, tmp_path: Path) -> None:
    nwk = join_one(stick, UNIT_IEEE)
    backup = _backup(stick, tmp_path / "backup.json")
    devices = _devices(backup)
    assert _plain(UNIT_IEEE) in devices, f"the joined unit is not in the backup: {sorted(devices)}"
    unit = devices[_plain(UNIT_IEEE)]
    assert unit["nwk_address"] == f"{nwk:04x}" and unit["is_child"] is True, unit
    # The key the trust centre issued: hashed from the stick's TCLK seed, as Z-Stack 3.30 does.
    seed = t.KeyData(bytes.fromhex(backup["stack_specific"]["zstack"]["tclk_seed"]))
    ieee = t.EUI64.convert(UNIT_IEEE)
    key = t.KeyData(bytes.fromhex(unit["link_key"]["key"]))
    assert find_key_shift(ieee, key, seed) is not None, f"the unit's key is not one issued from the TCLK seed: {unit}"


def test_the_nwk_frame_counter_advances_with_every_frame_sent(stick: EmulatedStick, tmp_path: Path) -> None:
    nwk = join_one(stick, UNIT_IEEE)
    before = _backup(stick, tmp_path / "before.json")["network_key"]["frame_counter"]

    async def send_five() -> None:
        app = await start_host(stick)
        try:
            for tsn in range(5):
                await app.send_packet(
                    zt.ZigbeePacket(
                        src=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=0x0000),
                        src_ep=1,
                        dst=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=nwk),
                        dst_ep=1,
                        tsn=tsn,
                        profile_id=0x0104,
                        cluster_id=0x0000,
                        data=zt.SerializableBytes(bytes([0x00, tsn, 0x00, 0x00, 0x00])),
                    )
                )
        finally:
            await app.shutdown()

    sent_before = stick.call(lambda: stick.air.counters.frames)
    stick.run(send_five())
    sent = stick.call(lambda: stick.air.counters.frames) - sent_before
    after = _backup(stick, tmp_path / "after.json")["network_key"]["frame_counter"]
    assert sent >= 5
    assert after - before == sent, f"frame counter {before} -> {after} after {sent} frames sent"


def _twenty_device_backup(template: dict) -> dict:
    """A backup of a network of 20 devices, keys hashed from the backup's TCLK seed (as a
    Z-Stack 3.30 stick's backup holds them)."""
    seed = t.KeyData(bytes.fromhex(template["stack_specific"]["zstack"]["tclk_seed"]))
    devices = []
    for n in range(20):
        ieee = t.EUI64(bytes([0x10 + n, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]))
        devices.append(
            {
                "ieee_address": ieee.serialize()[::-1].hex(),
                "nwk_address": f"{0x1000 + n:04x}",
                "is_child": n % 2 == 0,
                "link_key": {
                    "key": compute_key(ieee, seed, n % 16).serialize().hex(),
                    "tx_counter": 100 + n,
                    "rx_counter": 200 + n,
                },
            }
        )
    return {**template, "devices": devices}


def test_network_restore_of_twenty_devices_keeps_all_of_them_and_their_keys(
    stick: EmulatedStick, tmp_path: Path
) -> None:
    zigpy_cli(stick.path, "form")
    wanted = _twenty_device_backup(_backup(stick, tmp_path / "template.json"))
    (tmp_path / "twenty.json").write_text(__import__("json").dumps(wanted))
    znp_tool("network_restore", stick.path, "-i", str(tmp_path / "twenty.json"))
    back = _devices(_backup(stick, tmp_path / "back.json"))
    assert len(back) == 20, f"{len(back)} of 20 devices survived the restore"
    for device in wanted["devices"]:
        got = back.get(device["ieee_address"])
        assert got is not None, f"{device['ieee_address']} lost"
        assert got["nwk_address"] == device["nwk_address"], (device, got)
        assert got["link_key"]["key"] == device["link_key"]["key"], f"{device['ieee_address']}: key changed"
    known = stick.call(lambda: len(stick.emulator.joined))
    assert known == 20, f"the trust centre knows {known} of the 20 restored devices"


def _energies(output: str) -> dict[int, float]:
    """Channel -> percent from zigpy-znp's / zigpy-cli's energy table (the last one printed)."""
    energies: dict[int, float] = {}
    for match in re.finditer(r"^ - [\[ ]?(\d\d)[* ]?[\] ]?\s+([\d.]+)%", output, re.MULTILINE):
        energies[int(match[1])] = float(match[2])
    return energies


def test_energy_scan_reports_the_busy_channel(stick: EmulatedStick) -> None:
    stick.call(lambda: stick.air.channel_energy.update({20: 200}))
    zigpy_cli(stick.path, "form")
    energies = _energies(znp_tool("energy_scan", stick.path, "-n", "1").stdout)
    assert set(energies) == set(range(11, 27)), f"channels scanned: {sorted(energies)}"
    assert energies[20] == round(200 / 255 * 100, 2), energies
    assert max(v for ch, v in energies.items() if ch != 20) < 5, energies


def test_network_scan_hears_the_other_pan(stick: EmulatedStick) -> None:
    neighbour = ForeignNetwork(channel=20, pan_id=0xBEEF, extended_pan_id=bytes(range(1, 9)), permit_joining=True)
    stick.call(lambda: stick.air.foreign_networks.append(neighbour))
    out = znp_tool("network_scan", stick.path, "-n", "1", "-c", "11,20,25").stdout
    beacons = [line for line in out.splitlines() if "EPID:" in line]
    assert len(beacons) == 1, out
    assert "PID: 0xBEEF" in beacons[0] and "Channel=20" in beacons[0] and "PermitJoins=1" in beacons[0], beacons
    assert "08:07:06:05:04:03:02:01" in beacons[0], beacons
    # Not heard when its channel is not scanned.
    out = znp_tool("network_scan", stick.path, "-n", "1", "-c", "11,15").stdout
    assert "EPID:" not in out, out
