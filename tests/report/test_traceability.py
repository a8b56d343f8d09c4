"""The traceability matrix of real runs: every catalogue case, its verdict and its evidence."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from report_runs import CopyRun

from harness.catalogue import CASES
from harness.report.results import read_cases
from harness.report.traceability import NOT_RUN, write_traceability


def statuses(alluredir: Path) -> dict[str, str]:
    """as_id -> status straight from the result files, independently of harness.report."""
    found = {}
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in result["labels"]}
        if "as_id" in labels:
            found[labels["as_id"]] = result["status"]
    return found


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return {row["case ID"]: row for row in csv.DictReader(stream)}


def test_every_catalogue_case_with_its_verdict_and_evidence(reference_run: Path, tmp_path: Path) -> None:
    csv_path, md_path = write_traceability(reference_run, tmp_path / "traceability")
    rows = read_csv(csv_path)
    ran = statuses(reference_run)
    assert {"DM-01", "CLR-01"} <= set(ran)
    assert list(rows)[: len(CASES)] == list(CASES)  # the plan's order
    for case_id, spec in CASES.items():
        row = rows[case_id]
        assert row["title"] == spec.title
        assert row["requirement"] == spec.requirement
        if case_id not in ran:
            assert row["verdict"] == NOT_RUN and row["evidence files"] == ""
            continue
        assert row["verdict"] in (ran[case_id], "not applicable", "blocked")
        files = row["evidence files"].split(";") if row["evidence files"] else []
        assert all((reference_run / name).is_file() for name in files), files
    for case_id in ("DM-01", "CLR-01"):  # the trace and capture are attached in the fixture teardown
        files = rows[case_id]["evidence files"].split(";")
        assert any(name.endswith(".pcapng") for name in files), files
        assert rows[case_id]["verdict"] == "passed"
    markdown = md_path.read_text()
    assert "| case ID | title | requirement | verdict |" in markdown
    assert all(f"| {case_id} |" in markdown for case_id in CASES)


def test_a_failed_case_says_why(variant_run: Path, tmp_path: Path) -> None:
    csv_path, _ = write_traceability(variant_run, tmp_path)
    row = read_csv(csv_path)["CLR-01"]
    assert row["verdict"] == "failed"
    assert "consumption_history" in row["detail"] and "\n" not in row["detail"]


def test_skips_are_told_apart(reference_run: Path) -> None:
    for case in read_cases(reference_run).values():
        if case.status == "skipped":
            assert case.verdict in ("not applicable", "blocked", "skipped")
            assert case.verdict != "skipped" or "not applicable" not in case.message


def test_cases_missing_from_results_are_not_run(reference_run: Path, copy_run: CopyRun, tmp_path: Path) -> None:
    alluredir = copy_run(reference_run)
    for path in alluredir.glob("*-result.json"):
        if '"value": "CLR-01"' in path.read_text():
            path.unlink()
    csv_path, _ = write_traceability(alluredir, tmp_path / "out")
    assert read_csv(csv_path)["CLR-01"]["verdict"] == NOT_RUN
    assert read_csv(csv_path)["DM-01"]["verdict"] == "passed"
