"""The command line: profile validation and a bad profile stopping a run before the radio."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=None if env is None else {**os.environ, **env},
    )


def test_validate_accepts_the_reference_profile() -> None:
    done = cli("profile", "validate", "device_profiles/sim-ihd.yaml")
    assert done.returncode == 0 and "valid" in done.stdout


def test_validate_prints_each_error_with_its_field_path(tmp_path: Path) -> None:
    text = (REPO / "device_profiles" / "sim-ihd.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("channel: 15", "channel: 42").replace("clear_within: 10s", "clear_within: soon"))
    done = cli("profile", "validate", str(bad))
    assert done.returncode == 8  # a profile error, as `run` refusing it (harness.cli.Exit)
    lines = done.stderr.strip().splitlines()
    assert any("radio.channel" in line for line in lines), lines
    assert any("timings.clear_within" in line for line in lines), lines
    assert all(str(bad) in line for line in lines)


def test_a_bad_profile_stops_the_run_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nidentity: {role: toaster}\n")
    done = cli("run", "--profile", str(bad), "--alluredir", str(tmp_path / "results"))
    assert done.returncode == 8  # the profile error's own code, not pytest's usage error (4)
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and "profile error" in message[0] and str(bad) in message[0]
    assert not (tmp_path / "results").exists(), "no run may start on an invalid profile"


# -- issue 10, point 7: options, usage errors, exit codes, --version -----------------------


def test_version_names_the_harness_and_the_radio_stack() -> None:
    done = cli("--version")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith("cot-harness 0.") and "zigpy 2.4" in line and "zigpy-znp 1.1" in line, line


def test_run_help_has_the_options_their_defaults_and_the_exit_codes() -> None:
    done = cli("run", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for option in ("--profile", "--alluredir", "--air", "--air-seed", "--sim-transport", "--soak"):
        assert option in text, option
    assert "default: tcp" in text and "(default: reports/" in text, text
    for code, meaning in ((1, "a case failed"), (7, "bench error"), (8, "profile error"), (4, "usage error")):
        assert f"{code} {meaning}" in text, (code, text)


def test_a_bad_air_value_is_a_usage_error_before_anything_starts(tmp_path: Path) -> None:
    results = tmp_path / "results"
    done = cli("run", "--air", "loss=2", "--alluredir", str(results))
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr
    assert "usage error" in done.stderr and "loss must be a probability" in done.stderr, done.stderr
    assert "cot-harness:" not in done.stdout, "no run may start"
    assert not results.exists()


def test_profile_after_double_dash_is_refused(tmp_path: Path) -> None:
    done = cli("run", "--alluredir", str(tmp_path / "r"), "--", "--profile", "other.yaml")
    assert done.returncode == 4
    assert "--profile after --" in done.stderr and "cot-harness run --profile" in done.stderr, done.stderr
    assert not (tmp_path / "r").exists()


def test_an_unknown_run_option_is_the_usage_code() -> None:
    assert cli("run", "--no-such-option").returncode == 4


def test_readme_options_are_run_options(tmp_path: Path) -> None:
    """--air, --air-seed, --sim-transport and --soak work before `--`, as README.md lists them."""
    done = cli(
        "run",
        "--alluredir",
        str(tmp_path / "run" / "allure-results"),
        "--air",
        "loss=0",
        "--air-seed",
        "3",
        "--sim-transport",
        "pty",
        "--soak",
        "--",
        "-k",
        "BENCH or PROF",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BENCH-01  passed" in done.stdout, done.stdout[-3000:]


def test_selftest_only_without_a_match_is_an_error() -> None:
    done = cli("selftest", "--only", "QueriesEveryMinute", "--jobs", "1")
    assert done.returncode == 4, done.stdout
    assert "no variant or reference matches" in done.stderr and "QueriesEveryTenMinutes" in done.stderr


def test_selftest_only_one_variant_runs_it(tmp_path: Path) -> None:
    done = cli("selftest", "--only", "RedatesLastMessage", "--jobs", "1", env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert "variants caught as declared: 1/1" in done.stdout, done.stdout
    # Every run as declared: the selftest's own results folder is gone, nothing else touched.
    assert not list(tmp_path.glob("cot-selftest-*")), sorted(tmp_path.iterdir())
    assert "kept in" not in done.stdout


def test_selftest_full_runs_the_variant_through_the_whole_suite(tmp_path: Path) -> None:
    done = cli("selftest", "--only", "RedatesLastMessage", "--full", "--jobs", "1", env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "each variant its own cases and then the whole suite" in done.stdout
    assert "variants caught as declared: 1/1" in done.stdout, done.stdout
    # both proofs: the variant's selected run and its whole-suite run, each judged
    assert re.search(r"ok  RedatesLastMessage \(\d", done.stdout), done.stdout
    assert re.search(r"ok  RedatesLastMessage \(whole suite\) \(\d", done.stdout), done.stdout
