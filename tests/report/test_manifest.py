"""The evidence manifest over a real run: complete, checkable by sha256sum, and it notices any
missing, changed or added file."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from report_runs import CopyRun

from harness.report.manifest import verify_manifest, write_manifest


def every_file(*roots: Path) -> set[Path]:
    return {p for root in roots for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def reports(reference_run: Path, copy_run: CopyRun) -> Path:
    """A copy of a real run's reports folder with its manifest written."""
    alluredir = copy_run(reference_run)
    folder = alluredir.parent
    write_manifest([alluredir, folder / "captures"], folder / "evidence-manifest.json")
    return folder


def test_lists_every_file_with_size_and_sha256(reports: Path) -> None:
    document = json.loads((reports / "evidence-manifest.json").read_text())
    listed = {e["path"]: e for e in document["files"]}
    files = every_file(reports / "allure-results", reports / "captures")
    assert {f.relative_to(reports).as_posix() for f in files} == set(listed)
    assert any(path.startswith("captures/") and path.endswith(".pcapng") for path in listed)
    for file in files:
        entry = listed[file.relative_to(reports).as_posix()]
        assert entry["size"] == file.stat().st_size
        assert entry["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert document["roots"] == ["allure-results", "captures"]
    assert verify_manifest(reports / "evidence-manifest.json") == []


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum not installed")
def test_sha256sum_checks_it_without_our_code(reports: Path) -> None:
    done = subprocess.run(
        ["sha256sum", "--check", "--strict", "evidence-manifest.sha256"], cwd=reports, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(json.loads((reports / "evidence-manifest.json").read_text())["files"])


def test_changed_missing_and_added_files_are_reported(reports: Path) -> None:
    capture = next((reports / "captures").glob("*.pcapng"))
    data = bytearray(capture.read_bytes())
    data[-1] ^= 0x01  # same size, one bit different
    capture.write_bytes(bytes(data))
    attachment = next((reports / "allure-results").glob("*-attachment.txt"))
    attachment.unlink()
    (reports / "allure-results" / "late-addition.txt").write_text("written after the manifest\n")
    problems = verify_manifest(reports / "evidence-manifest.json")
    assert f"changed: captures/{capture.name} (SHA-256 differs)" in problems
    assert f"missing: allure-results/{attachment.name}" in problems
    assert "not in the manifest: allure-results/late-addition.txt" in problems
    assert len(problems) == 3


def test_a_manifest_inside_a_listed_folder_leaves_itself_out(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "a" / "odd\\name.txt").write_text("y")  # sha256sum escapes a backslash
    out = write_manifest([tmp_path / "a"], tmp_path / "a" / "evidence-manifest.json")
    paths = [e["path"] for e in json.loads(out.read_text())["files"]]
    assert paths == ["odd\\name.txt", "x.txt"]
    assert verify_manifest(out) == []
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "-c", "evidence-manifest.sha256"], cwd=tmp_path / "a", capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_an_edited_sums_file_is_reported(reports: Path) -> None:
    sums = reports / "evidence-manifest.sha256"
    sums.write_text(sums.read_text().replace("0", "1", 1))
    assert verify_manifest(reports / "evidence-manifest.json") == [
        "evidence-manifest.sha256 does not match evidence-manifest.json"
    ]
