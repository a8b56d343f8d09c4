"""The lab path proven: the suite against a standalone emulator (`cot-harness emulate`),
reached directly and through a real ser2net's raw TCP port, gives the verdicts of the
in-process run, case by case, and every report of it says EMULATED, however it was reached.
Afterwards nothing is left: no process, no listening port, no pty link.
"""

from __future__ import annotations

import collections
import copy
import subprocess
from pathlib import Path

import pytest
import yaml
from lab_bench import (
    REFERENCE,
    environment,
    listening_ports,
    port_of,
    processes_mentioning,
    run_harness,
    run_summary,
    ser2net_or_skip,
    start_emulator,
    start_ser2net,
    verdicts,
    with_radio_path,
)

from tests.report.report_runs import REFERENCE as CLI_RUN_PROFILE
from tests.report.report_runs import CliRun

# `cot-harness run`'s default: the simulated reference IHD (README, docs/measurements.md).
REFERENCE_TALLY = {
    "passed": 32,
    "skipped": 20,
}  # 14 of the skips: the meter cases (ESI) and the SEC cases (radio.security is not cbke)


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr)[-4000:]


@pytest.fixture(scope="module")
def in_process(reference_cli_run: CliRun) -> dict[str, str]:
    """The in-process run (radio.path sim://) every lab path must match: the session's
    `cot-harness run` of REFERENCE (tests/conftest.py), the report tests' too."""
    done = reference_cli_run.done
    assert done.returncode == 0, _output(done)
    found = verdicts(reference_cli_run.alluredir)
    assert dict(collections.Counter(found.values())) == REFERENCE_TALLY
    return found


def test_the_in_process_run_is_of_the_reference_profile() -> None:
    assert CLI_RUN_PROFILE == REFERENCE  # what `in_process` reads is the run these paths must match


def _nothing_left(tmp: Path, *ports: int) -> None:
    assert processes_mentioning(str(tmp)) == [], "a process of the run is still there"
    still = set(ports) & listening_ports()
    assert not still, f"still listening on {sorted(still)}"
    assert not (tmp / "coordinator-tty").is_symlink(), "the emulator's pty link was left behind"


def _says_emulated(alluredir: Path) -> None:
    env = environment(alluredir)
    assert next(iter(env)) == "bench" or list(env)[:2] == ["run.interrupted", "bench"]
    assert env["bench"].startswith("EMULATED, not a hardware result"), env["bench"]
    assert "hardware:" not in env["bench"]
    assert env["coordinator.bootloader_revision"] == "0x454D554C"
    assert "Bench:    EMULATED, not a hardware result" in run_summary(alluredir)


def test_the_suite_against_a_standalone_emulator_matches_the_in_process_run(
    tmp_path: Path, in_process: dict[str, str]
) -> None:
    emulator = start_emulator(tmp_path)
    try:
        assert emulator.profile is not None and emulator.control is not None
        done = run_harness(emulator.profile, tmp_path / "run")
        assert emulator.ended() == 0  # it ends with its one session
    finally:
        emulator.stop()
    assert done.returncode == 0, _output(done)
    assert verdicts(tmp_path / "run" / "allure-results") == in_process
    _says_emulated(tmp_path / "run" / "allure-results")
    _nothing_left(tmp_path, port_of(emulator.serial), port_of(emulator.control))


def test_the_suite_through_ser2net_raw_tcp_to_the_emulator_on_a_pty_matches_the_in_process_run(
    tmp_path: Path, in_process: dict[str, str]
) -> None:
    ser2net_or_skip()
    emulator = start_emulator(tmp_path, pty=True)
    ser2net = None
    try:
        assert emulator.profile is not None and emulator.control is not None
        ser2net = start_ser2net(tmp_path, emulator.serial)
        # The lab's one edit: radio.path to ser2net's raw port instead of the pty.
        profile = with_radio_path(emulator.profile, f"socket://127.0.0.1:{ser2net.port}", tmp_path / "lab.yaml")
        done = run_harness(profile, tmp_path / "run")
        assert emulator.ended() == 0
    finally:
        if ser2net is not None:
            ser2net.stop()
        emulator.stop()
    assert done.returncode == 0, _output(done)
    assert verdicts(tmp_path / "run" / "allure-results") == in_process
    _says_emulated(tmp_path / "run" / "allure-results")
    _nothing_left(tmp_path, ser2net.port, port_of(emulator.control))


def test_an_emulator_reached_as_a_stick_with_no_control_endpoint_is_still_reported_emulated(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, control=False)
    data = yaml.safe_load(REFERENCE.read_text())
    # A hardware profile in every respect: no simulation section, nothing done by simulation.
    hardware = copy.deepcopy(data)
    hardware["radio"]["path"] = emulator.serial
    del hardware["simulation"]
    hardware["bench"] = {"power_control": {"by": "none"}, "rejoin_control": {"by": "none"}}
    hardware["stores"] = []
    hardware["observe"] = {}
    profile = tmp_path / "looks-like-hardware.yaml"
    profile.write_text(yaml.safe_dump(hardware, sort_keys=False))
    try:
        done = run_harness(profile, tmp_path / "run", "-k", "BENCH-01")
    finally:
        emulator.stop()
    assert done.returncode == 0, _output(done)
    alluredir = tmp_path / "run" / "allure-results"
    assert verdicts(alluredir) == {next(iter(verdicts(alluredir))): "passed"}
    _says_emulated(alluredir)
    assert emulator.serial in environment(alluredir)["bench"]  # the path it was reached at
    assert emulator.process.returncode == 0
    _nothing_left(tmp_path, port_of(emulator.serial))
