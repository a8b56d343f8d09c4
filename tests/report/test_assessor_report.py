"""The Allure output as an assessor reads it (issue: an assessor-grade report), from a real run
of the suite against a fault variant (CLR-01 fails), read back as files and in a real browser.

The JSON checks read what allure-pytest wrote; the browser checks read what headless Chromium
draws of the report Allure 3 renders: the failing case's first screen must show its title,
requirement, evidence and the engineer's sentence in the step that failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.catalogue import CASES
from harness.report.assessor_view import PLAN
from harness.report.properties import parse_properties
from harness.report.run_attachments import RUN_SUMMARY, TRACEABILITY_MATRIX

FAILING = "CLR-01"  # the variant keeps consumption history
MEASURED = "DM-01"  # records the Default Response latency


def _results(alluredir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        case_id = next((label["value"] for label in result.get("labels", []) if label["name"] == "as_id"), None)
        if case_id:
            found[case_id] = result
    return found


def _containers(alluredir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in alluredir.glob("*-container.json")]


def _label(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_each_case_is_named_and_described_from_the_catalogue(variant_run: Path) -> None:
    results = _results(variant_run)
    assert set(results) == set(CASES)
    # One test case per case ID (Allure keys history and retries on it): CLR-01..04 share a function.
    assert len({result["testCaseId"] for result in results.values()}) == len(CASES)
    for case_id, result in results.items():
        spec = CASES[case_id]
        assert result["name"] == f"{case_id} {spec.title}"
        assert spec.requirement in result["description"]
        assert "EMULATED, not a hardware result" in result["description"]
        assert _label(result, "suite") == [spec.section] and _label(result, "parentSuite") == [PLAN]
        assert not {"thread", "framework", "language", "package"} & {label["name"] for label in result["labels"]}
        names = [p["name"] for p in result.get("parameters", [])]
        assert "data_class" not in names, f"{case_id}: pytest's parametrize id is not an assessor's parameter"
        device = next(p["value"] for p in result["parameters"] if p["name"] == "device")
        assert not device.startswith("'"), device


def test_evidence_is_attached_to_the_case_itself(variant_run: Path) -> None:
    results = _results(variant_run)
    for case_id in (FAILING, MEASURED):
        names = [a["name"] for a in results[case_id].get("attachments", [])]
        for expected in (
            f"{case_id} frame trace",
            f"{case_id} sequence chart",
            f"{case_id} frames (pcapng, Wireshark)",
        ):
            assert expected in names, f"{case_id}: {expected!r} not in the case's own attachments {names}"
    assert "measurements (JSON)" in [a["name"] for a in results[MEASURED]["attachments"]]
    for container in _containers(variant_run):
        for fixture in container.get("afters", []):
            attached = [a["name"] for a in fixture.get("attachments", [])]
            assert not any("frame trace" in name for name in attached), f"evidence left in {fixture['name']}"


def test_fixtures_that_say_nothing_are_not_shown(variant_run: Path) -> None:
    for container in _containers(variant_run):
        for fixture in container.get("befores", []) + container.get("afters", []):
            assert "<lambda>" not in fixture["name"]
            assert (
                fixture.get("status") in ("failed", "broken") or fixture.get("attachments") or fixture.get("steps")
            ), f"fixture {fixture['name']} ({fixture.get('status')}) says nothing to an assessor"


def test_the_failure_reads_as_the_engineer_wrote_it(variant_run: Path) -> None:
    result = _results(variant_run)[FAILING]
    assert result["status"] == "failed"
    message, trace = result["statusDetails"]["message"], result["statusDetails"]["trace"]
    assert not message.startswith("AssertionError"), message
    assert "previous occupier" in message
    # The failed check is its own step, with the same sentence: the report shows the error there.
    failed = [step for step in result["steps"] if step["status"] == "failed"]
    assert len(failed) == 1 and failed[0] is result["steps"][-1]
    assert failed[0]["statusDetails"]["message"] == message
    assert "\nassert " not in message and "object at 0x" not in message, "pytest's introspection is not the sentence"
    # A short trace: where, not the repr of every object on the way.
    assert "testcases/" in trace
    assert "object at 0x" not in trace and "site-packages" not in trace and "pluggy" not in trace, trace
    assert "+ where" not in trace, trace


def test_the_run_level_evidence_is_in_the_report(variant_run: Path) -> None:
    globals_files = list(variant_run.glob("*-globals.json"))
    assert len(globals_files) == 1
    attachments = json.loads(globals_files[0].read_text(encoding="utf-8"))["attachments"]
    by_name = {a["name"]: variant_run / a["source"] for a in attachments}
    assert RUN_SUMMARY in by_name and TRACEABILITY_MATRIX in by_name
    summary = by_name[RUN_SUMMARY].read_text(encoding="utf-8")
    assert "EMULATED, not a hardware result" in summary and "sha256sum -c" in summary and "failed" in summary
    assert FAILING in by_name[TRACEABILITY_MATRIX].read_text(encoding="utf-8")
    # What an assessor asks first comes first on the front page.
    env = parse_properties((variant_run / "environment.properties").read_text(encoding="ascii"))
    assert list(env)[:2] == ["bench", "device"] and env["bench"].startswith("EMULATED")
    # The manifest, written after them, covers them.
    sha256sum = shutil.which("sha256sum")
    if sha256sum is not None:
        done = subprocess.run([sha256sum, "-c", "--quiet", "evidence-manifest.sha256"], cwd=variant_run.parent)
        assert done.returncode == 0
    listed = json.loads((variant_run.parent / "evidence-manifest.json").read_text(encoding="utf-8"))["files"]
    paths = {entry["path"] for entry in listed}
    assert f"allure-results/{globals_files[0].name}" in paths


def _browser_or_skip() -> str:
    from harness.report.browser import BrowserMissing, chromium

    try:
        return chromium()
    except BrowserMissing as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs Chromium (.ci/run): {error}")
        pytest.skip(str(error))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed (Allure 3 needs it)")
def test_the_failing_case_reads_right_in_a_browser(variant_run: Path, tmp_path: Path) -> None:
    from harness.report.browser import case_pages, rendered_text, screenshot
    from harness.report.html import render_report

    _browser_or_skip()
    report = render_report(variant_run, tmp_path / "report.html")
    spec = CASES[FAILING]
    page = next(p for p in case_pages(report) if p["name"].startswith(FAILING + " "))
    text = rendered_text(report, page["id"])
    message = _results(variant_run)[FAILING]["statusDetails"]["message"]
    for expected in (
        f"{FAILING} {spec.title}",
        "Failed",
        spec.requirement,
        message.splitlines()[0][:80],
        f"{FAILING} frames (pcapng, Wireshark)",
        f"{FAILING} sequence chart",
    ):
        assert expected in text, f"{expected!r} is not on the case's page as Chromium draws it"
    assert "conformance_case" not in text and "<lambda>" not in text and "_bench_session" not in text
    front = rendered_text(report)
    assert "EMULATED, not a hardware result" in front
    assert RUN_SUMMARY in rendered_text(report, "globalAttachments")
    shot = screenshot(report, tmp_path / f"{FAILING}.png", page["id"])
    assert shot.stat().st_size > 10_000  # a drawn page, not an empty one
