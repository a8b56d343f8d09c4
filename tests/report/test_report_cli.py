"""`report` and `diff` as registered into a `cot-harness`-like parser, and finish_run over a
real run's reports folder as the plugin will call it at the end of a session."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from report_runs import NETWORK_KEY, CopyRun

from harness.catalogue import CASES
from harness.profile import load_profile
from harness.report.cli import finish_run, register
from harness.report.manifest import verify_manifest
from harness.report.properties import parse_properties


def cot_harness(*argv: str) -> int:
    """What harness.cli does once it calls register(commands)."""
    parser = argparse.ArgumentParser(prog="cot-harness")
    commands = parser.add_subparsers(dest="command", required=True)
    register(commands)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_diff_subcommand(reference_run: Path, variant_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cot_harness("diff", str(reference_run), str(reference_run)) == 0
    assert cot_harness("diff", str(reference_run), str(variant_run)) == 1
    assert "CLR-01" in capsys.readouterr().out


def test_report_subcommand_without_tools_exits_2_with_the_install_hint(
    reference_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no npm, no allure
    monkeypatch.delenv("COT_HARNESS_ALLURE", raising=False)
    code = cot_harness("report", "--alluredir", str(reference_run), "--out", str(tmp_path / "r.html"))
    captured = capsys.readouterr()
    assert code == 2
    assert "npm install -g allure@3" in captured.err and captured.out == ""


def test_report_subcommand_with_no_results_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cot_harness("report", "--alluredir", str(tmp_path)) == 1
    assert "no Allure results" in capsys.readouterr().err


def test_finish_run_over_a_real_run(secret_run: Path, secret_profile: Path, copy_run: CopyRun) -> None:
    alluredir = copy_run(secret_run)
    reports = alluredir.parent
    profile = load_profile(secret_profile)
    summary = finish_run(alluredir, profile, {"firmware": "Z-Stack emulated", "pan_id": "0x1A62"})
    json.dumps(summary)  # ready for a JSON log line
    assert summary["clean"] is True and summary["secret_findings"] == []
    assert summary["secret_forms_checked"] == len(profile.secrets())
    assert sum(summary["verdicts"].values()) == len(CASES)
    env = parse_properties((alluredir / "environment.properties").read_text())
    assert env["coordinator.firmware"] == "Z-Stack emulated"
    assert (reports / "traceability" / "traceability.csv").is_file()
    manifest = Path(summary["manifest"])
    assert manifest == reports / "evidence-manifest.json"
    listed = {e["path"] for e in json.loads(manifest.read_text())["files"]}
    assert {"allure-results/environment.properties", "allure-results/executor.json"} <= listed
    assert {"traceability/traceability.csv", "traceability/traceability.md"} <= listed
    assert any(p.startswith("captures/") for p in listed)
    assert summary["files"] == len(listed)
    assert verify_manifest(manifest) == []


def test_finish_run_reports_a_leak_without_repeating_it(
    secret_run: Path, secret_profile: Path, copy_run: CopyRun
) -> None:
    alluredir = copy_run(secret_run)
    profile = load_profile(secret_profile)
    next(alluredir.glob("*-attachment.txt")).write_text(f"zigpy-znp debug: network key {NETWORK_KEY}\n")
    summary = finish_run(alluredir, profile, None)
    assert summary["clean"] is False
    assert summary["secret_findings"] and all("network_key" in f for f in summary["secret_findings"])
    assert NETWORK_KEY.lower() not in json.dumps(summary).lower()
