"""zigpy-cli (`zigpy radio znp PORT ...`) against the emulated stick, as a real subprocess.

Another client than zigpy-znp's tools, with zigpy's own formation (an energy scan picks the
channel), backups in the open coordinator format, and a channel change a real stick
carries out in its NIB.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.stick.conftest import EmulatedStick, join_one, read_json, zigpy_cli
from tests.stick.test_network_tools import UNIT_IEEE, _energies, _plain, _twenty_device_backup

# zigpy forms on the quietest of its default channels (11, 15, 20, 25).
BUSY = {11: 240, 15: 230, 20: 220}


def _info(stick: EmulatedStick) -> dict[str, str]:
    out = zigpy_cli(stick.path, "info").stdout
    return {m[1]: m[2].strip() for m in re.finditer(r"^([A-Za-z .]+):\s+(.*)$", out, re.MULTILINE)}


def test_form_picks_the_quiet_channel_by_energy_scan_and_info_reports_it(stick: EmulatedStick) -> None:
    stick.call(lambda: stick.air.channel_energy.update(BUSY))
    zigpy_cli(stick.path, "form")
    info = _info(stick)
    assert info["Channel"] == "25", info
    assert info["Device IEEE"] == "00:12:4b:00:1c:a1:b2:c3", info
    assert info["Device NWK"] == "0x0000", info


def test_energy_scan_shows_each_channel_energy(stick: EmulatedStick) -> None:
    stick.call(lambda: stick.air.channel_energy.update(BUSY))
    zigpy_cli(stick.path, "form")
    energies = _energies(zigpy_cli(stick.path, "energy-scan", "-n", "0").stdout)
    assert energies[11] == round(240 / 255 * 100, 2) and energies[20] == round(220 / 255 * 100, 2), energies
    assert energies[25] < 5, energies


def test_backup_lists_the_joined_unit_and_restore_brings_back_twenty(stick: EmulatedStick, tmp_path: Path) -> None:
    join_one(stick, UNIT_IEEE)
    out = tmp_path / "backup.json"
    zigpy_cli(stick.path, "backup", str(out))
    devices = {d["ieee_address"]: d for d in read_json(out)["devices"]}
    assert _plain(UNIT_IEEE) in devices and "link_key" in devices[_plain(UNIT_IEEE)], devices

    twenty = _twenty_device_backup(read_json(out))
    (tmp_path / "twenty.json").write_text(json.dumps(twenty))
    zigpy_cli(stick.path, "restore", str(tmp_path / "twenty.json"))
    zigpy_cli(stick.path, "backup", str(tmp_path / "back.json"))
    back = {d["ieee_address"]: d for d in read_json(tmp_path / "back.json")["devices"]}
    assert len(back) == 20, f"{len(back)} devices after restoring 20"
    for device in twenty["devices"]:
        assert back[device["ieee_address"]]["link_key"]["key"] == device["link_key"]["key"], device


def test_change_channel_moves_the_network_and_bumps_the_update_id(stick: EmulatedStick) -> None:
    zigpy_cli(stick.path, "form")
    before = _info(stick)
    target = "20" if before["Channel"] != "20" else "25"
    zigpy_cli(stick.path, "change-channel", "-c", target)
    after = _info(stick)
    assert after["Channel"] == target, after
    assert int(after["NWK update ID"]) == int(before["NWK update ID"]) + 1, (before, after)
    assert after["PAN ID"] == before["PAN ID"] and after["Extended PAN ID"] == before["Extended PAN ID"]
