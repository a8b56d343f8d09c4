"""environment.properties and executor.json: what they say about a real run, read back the way
Allure reads them, and never a secret."""

from __future__ import annotations

import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from report_runs import NETWORK_KEY, REFERENCE, REPO, CopyRun

from harness.profile import load_profile
from harness.report.properties import dump_properties, parse_properties
from harness.report.redact import REDACTED, named_secrets, scan_for_secrets
from harness.report.run_info import git_commit, write_run_info

COORDINATOR = {"firmware": "Z-Stack 20210708 (emulated)", "channel": "15", "pan_id": "0x1A62"}


def test_environment_and_executor_of_a_real_run(reference_run: Path, copy_run: CopyRun) -> None:
    alluredir = copy_run(reference_run)
    profile = load_profile(REFERENCE)
    write_run_info(alluredir, profile=profile, coordinator=COORDINATOR)
    env = parse_properties((alluredir / "environment.properties").read_text(encoding="ascii"))
    assert env["harness.version"] == metadata.version("cot-harness")
    assert env["zigpy.version"] == metadata.version("zigpy")
    assert env["zigpy_znp.version"] == metadata.version("zigpy-znp")
    assert env["coordinator.firmware"] == COORDINATOR["firmware"]
    assert env["coordinator.pan_id"] == "0x1A62"
    assert env["device"] == profile.identity_line()
    assert env["device.firmware_version"] == profile.identity.firmware_version
    assert env["profile.path"] == str(REFERENCE.resolve())
    assert env["profile.sha256"] == hashlib.sha256(REFERENCE.read_bytes()).hexdigest()
    executor = json.loads((alluredir / "executor.json").read_text())
    assert executor["name"] == "cot-harness" and executor["type"]
    assert executor["buildName"].startswith("cot-harness run 20")
    assert profile.identity_line() in executor["reportName"]


def test_no_coordinator_yet_says_unknown(tmp_path: Path) -> None:
    write_run_info(tmp_path / "new", profile=load_profile(REFERENCE), coordinator=None)
    env = parse_properties((tmp_path / "new" / "environment.properties").read_text())
    assert env["coordinator.firmware"] == "unknown"


def test_git_commit_of_the_harness_checkout() -> None:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if done.returncode != 0 or not (REPO / ".git").exists():
        assert git_commit() == "unknown"
    else:
        assert git_commit().removesuffix("-dirty") == done.stdout.strip()


def test_secrets_never_reach_the_run_info(secret_profile: Path, tmp_path: Path) -> None:
    profile = load_profile(secret_profile)
    # A coordinator summary that carries the network key (as a careless driver might).
    leaky = {**COORDINATOR, "network_key": NETWORK_KEY.upper(), NETWORK_KEY: "as a key"}
    write_run_info(tmp_path, profile=profile, coordinator=leaky)
    env = parse_properties((tmp_path / "environment.properties").read_text())
    assert env["coordinator.network_key"] == REDACTED
    assert f"coordinator.{REDACTED}" in env
    assert scan_for_secrets([tmp_path], named_secrets(profile)) == []


@pytest.mark.parametrize(
    "value",
    ["plain", "a=b:c d", "  leading spaces", "back\\slash", "line\nbreak\ttab", "Zürich µs \u2192 \U0001f50c", ""],
)
def test_properties_round_trip(value: str) -> None:
    values = {"key with = and : and spaces#!": value, "device": value}
    text = dump_properties(values)
    assert text.isascii()
    assert parse_properties(text) == values


def test_a_hand_written_file_with_a_bad_escape_still_reads() -> None:
    assert parse_properties("# comment\nbad = \\u12 and \\q\nk:v\n") == {"bad": "u12 and q", "k": "v"}
