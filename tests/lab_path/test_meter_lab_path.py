"""A meter under test through a standalone emulator (`cot-harness emulate`): the CoT trigger
by simulation reaches the simulated ESME over the control endpoint (harness.control_wire), and
the ESI cases give the in-process run's verdicts."""

from __future__ import annotations

from pathlib import Path

from lab_bench import REPO, port_of, run_harness, start_emulator, verdicts

ESME = REPO / "device_profiles" / "sim-esme.yaml"


def test_the_meter_cases_through_a_standalone_emulator_match_the_in_process_run(tmp_path: Path) -> None:
    in_process = run_harness(ESME, tmp_path / "in-process")
    assert in_process.returncode == 0, (in_process.stdout + in_process.stderr)[-3000:]
    expected = verdicts(tmp_path / "in-process" / "allure-results")
    esi = {name.split(":")[0]: v for name, v in expected.items() if name.startswith("ESI-")}
    assert esi == {f"ESI-0{n}": "passed" for n in range(1, 8)}
    rob = {name.split(":")[0]: v for name, v in expected.items() if name.startswith("ROB-")}
    assert rob == {"ROB-01": "passed", "ROB-02": "passed"}  # the fuzz and the burst cross the serial path
    emulator = start_emulator(tmp_path, profile=ESME)
    try:
        assert emulator.profile is not None and emulator.control is not None
        done = run_harness(emulator.profile, tmp_path / "run")
        assert emulator.ended() == 0
    finally:
        emulator.stop()
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert verdicts(tmp_path / "run" / "allure-results") == expected
    assert port_of(emulator.serial)
