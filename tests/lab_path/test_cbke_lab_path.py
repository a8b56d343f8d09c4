"""CBKE through a standalone emulator (`cot-harness emulate`): the Key Establishment exchange,
the key installed in the emulated stick and every APS-secured frame cross the serial path as
they do in process, and the verdicts are the in-process run's. The one difference is SEC-07:
the foreign node is not offered over the control endpoint (the unit's link key would cross
it), so the profile the emulator writes says `bench.foreign_node: none` and SEC-07 is not
applicable, naming that field, instead of broken.

SEC-05 and SEC-06 (a second, provoked key establishment) are left out here: through the
standalone emulator the provoked exchange once ended broken in CI ("the trust centre never
sent confirm_key_data_response"), likely the emulator's virtual clock jumping while the
harness computes its ECMQV with no MT frame in flight. Until that is understood they are
proved in process only (the matrix: AcceptsAnyCa, IgnoresMacv and their suite-1 rows);
docs/security.md, "Not done", says so."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from lab_bench import REPO, run_harness, start_emulator, verdicts

from harness.profile import ProfileError, load_profile

CBKE = REPO / "device_profiles" / "sim-ihd-cbke.yaml"
NOT_PROVOKED = ("-k", "not test_sec_05 and not test_sec_06")


def _sec07_skip_reason(alluredir: Path) -> str:
    for result in alluredir.glob("*-result.json"):
        data = json.loads(result.read_text())
        if any(label["name"] == "as_id" and label["value"] == "SEC-07" for label in data["labels"]):
            assert data["status"] == "skipped", data["status"]
            return data["statusDetails"]["message"]
    raise AssertionError("no SEC-07 result")


def test_cbke_through_a_standalone_emulator_gives_the_in_process_verdicts(tmp_path: Path) -> None:
    in_process = run_harness(CBKE, tmp_path / "in-process", *NOT_PROVOKED)
    assert in_process.returncode == 0, (in_process.stdout + in_process.stderr)[-3000:]
    expected = verdicts(tmp_path / "in-process" / "allure-results")
    sec = {name.split(":")[0]: v for name, v in expected.items() if name.startswith("SEC-")}
    assert sec == {f"SEC-0{n}": "passed" for n in (1, 2, 3, 4, 7)}
    emulator = start_emulator(tmp_path, profile=CBKE)
    try:
        assert emulator.profile is not None
        written = yaml.safe_load(emulator.profile.read_text())
        assert written["bench"]["foreign_node"] == {"by": "none"}
        done = run_harness(emulator.profile, tmp_path / "run", *NOT_PROVOKED)
        assert emulator.ended() == 0
    finally:
        emulator.stop()
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    got = verdicts(tmp_path / "run" / "allure-results")
    assert {k: v for k, v in got.items() if not k.startswith("SEC-07")} == {
        k: v for k, v in expected.items() if not k.startswith("SEC-07")
    }
    assert "bench.foreign_node" in _sec07_skip_reason(tmp_path / "run" / "allure-results")


def test_a_profile_asking_a_standalone_emulator_for_the_foreign_node_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(CBKE.read_text())
    data["radio"]["path"] = "socket://127.0.0.1:1"
    data["simulation"] = {"model": data["simulation"]["model"], "control": "tcp://127.0.0.1:2"}
    path = tmp_path / "remote-cbke.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        load_profile(path)
    except ProfileError as error:
        assert "bench.foreign_node" in str(error) and "control endpoint" in str(error), str(error)
    else:
        raise AssertionError("a remote simulation offering bench.foreign_node: simulation was accepted")
