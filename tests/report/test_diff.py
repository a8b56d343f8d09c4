"""Comparing real runs: verdict changes (and the exit code a firmware gate relies on),
measurement shifts from parameters and from the measurements attachment, environment changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_runs import REFERENCE, CopyRun, MeasuringRun, profile_with

from harness.profile import load_profile
from harness.report.diff import diff_runs, format_diff, main_diff
from harness.report.run_info import write_run_info


def change_of(d: object, case_id: str) -> str:
    return next(c.change for c in d.cases if c.case_id == case_id)  # type: ignore[attr-defined]


def test_a_run_against_itself_changes_nothing(reference_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = diff_runs(reference_run, reference_run)
    assert d.cases and all(c.change == "same" for c in d.cases)
    assert not d.regressions and not d.environment
    assert main_diff([str(reference_run), str(reference_run)]) == 0
    out = capsys.readouterr().out
    assert "0 case(s) worse" in out and "DM-01" in out and "CLR-01" in out


def test_a_case_that_got_worse_fails_the_comparison(
    reference_run: Path, variant_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = diff_runs(reference_run, variant_run)
    assert change_of(d, "CLR-01") == "WORSE"
    assert "CLR-01" in [c.case_id for c in d.regressions]
    line = next(line for line in format_diff(d).splitlines() if line.startswith("CLR-01"))
    assert line.split()[1:] == ["passed", "failed", "WORSE"]
    assert main_diff([str(reference_run), str(variant_run)]) == 1
    # The other way round it is an improvement: no gate failure.
    back = diff_runs(variant_run, reference_run)
    assert change_of(back, "CLR-01") == "better" and not back.regressions
    capsys.readouterr()


def test_latency_parameters_of_real_runs_are_compared(reference_run: Path, variant_run: Path) -> None:
    d = diff_runs(reference_run, variant_run)
    shifts = {(m.case_id, m.name): m for m in d.measurements}
    latency = [m for (case_id, name), m in shifts.items() if case_id == "DM-01" and "latency" in name]
    assert latency and all(m.unit == "s" and m.a is not None and m.b is not None for m in latency)
    assert all(name != "device" for _, name in shifts)


def test_measurement_shifts_and_limits_from_the_attachment(measurement_runs: MeasuringRun) -> None:
    fast, slow = measurement_runs("fast", 0.5), measurement_runs("slow", 12.0)
    d = diff_runs(fast, slow)
    [latency] = [m for m in d.measurements if m.name == "clearing latency"]
    assert (latency.a, latency.b, latency.unit) == (0.5, 12.0, "s")
    assert latency.delta == pytest.approx(11.5) and latency.relative == pytest.approx(23.0)
    assert (latency.a_passed, latency.b_passed) == (True, False)  # over the 10 s limit
    [frames] = [m for m in d.measurements if m.name == "frames sent"]
    assert frames.delta == 0 and frames.a_passed is None
    text = format_diff(d)
    assert "clearing latency (s)" in text and "0.5 (pass)" in text and "12 (FAIL)" in text and "+11.5" in text


def test_firmware_change_shows_in_the_environment(reference_run: Path, copy_run: CopyRun, tmp_path: Path) -> None:
    old = copy_run(reference_run)
    new = tmp_path / "new" / "allure-results"
    shutil.copytree(old, new)
    write_run_info(old, profile=load_profile(REFERENCE), coordinator={"firmware": "Z-Stack 20210708"})
    upgraded = profile_with(tmp_path, "fw-1.0.1.yaml", identity={"firmware_version": "1.0.1"})
    write_run_info(new, profile=load_profile(upgraded), coordinator={"firmware": "Z-Stack 20210708"})
    env = {key: (a, b) for key, a, b in diff_runs(old, new).environment}
    assert env["device.firmware_version"] == ("1.0.0", "1.0.1")
    assert "coordinator.firmware" not in env
    assert "device.firmware_version" in format_diff(diff_runs(old, new))


def test_bad_input_exits_2(tmp_path: Path, reference_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_diff([str(tmp_path), str(reference_run)]) == 2
    assert "not an allure-results folder" in capsys.readouterr().err
