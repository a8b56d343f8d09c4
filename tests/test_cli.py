"""The command line: profile validation and a bad profile stopping a run before the radio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_validate_accepts_the_reference_profile() -> None:
    done = cli("profile", "validate", "device_profiles/sim-ihd.yaml")
    assert done.returncode == 0 and "valid" in done.stdout


def test_validate_prints_each_error_with_its_field_path(tmp_path: Path) -> None:
    text = (REPO / "device_profiles" / "sim-ihd.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("channel: 15", "channel: 42").replace("clear_within: 10s", "clear_within: soon"))
    done = cli("profile", "validate", str(bad))
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert any("radio.channel" in line for line in lines), lines
    assert any("timings.clear_within" in line for line in lines), lines
    assert all(str(bad) in line for line in lines)


def test_a_bad_profile_stops_the_run_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nidentity: {role: toaster}\n")
    done = cli("run", "--profile", str(bad), "--alluredir", str(tmp_path / "results"))
    assert done.returncode == 4
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and "profile error" in message[0] and str(bad) in message[0]
    assert not (tmp_path / "results").exists(), "no run may start on an invalid profile"
