"""The results folder the harness owns (harness.report.runs), tried as a lab would use it:
real `cot-harness run` and plain `pytest testcases` subprocesses against temporary folders.

Each test reproduces a way evidence used to be lost: a folder holding other things emptied by
--clean-alluredir, a plain pytest run replacing the last run's captures, two runs mixed in one
folder, `-k` matching nothing leaving stale evidence looking current, a read-only folder
exiting 0 or with an INTERNALERROR.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_runs import REFERENCE, REPO

from harness.report.manifest import verify_manifest
from harness.report.runs import (
    MARKER,
    RunFolderRefused,
    claim,
    latest_run,
    resolve_results,
)
from harness.selftest import RUN_TIMEOUT_S  # a bound on a hung run (30 min), never a measure

EXIT_EVIDENCE_NOT_WRITTEN = 9
ONE_CASE = ["-k", "CLR-01"]  # one case keeps each run to a second or two
SHA256SUM = shutil.which("sha256sum")
SETPRIV = shutil.which("setpriv")
# Root ignores permission bits; without these capabilities it obeys them as any lab user does.
_DROP = "-dac_override,-dac_read_search,-fowner"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def cot_run(cwd: Path, *argv: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness.cli", "run", "--profile", str(REFERENCE), *argv]
    if unprivileged and os.geteuid() == 0:
        if SETPRIV is None:
            pytest.skip("running as root and setpriv is missing: cannot make a folder read-only for the run")
        command = [SETPRIV, f"--bounding-set={_DROP}", f"--inh-caps={_DROP}", *command]
    return subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def plain_pytest(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", str(REPO / "testcases"), "-q", "-p", "no:cacheprovider"]
    command += ["--profile", str(REFERENCE), *argv]
    return subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_verifies(run: Path) -> None:
    """The manifest checks out, with our code and with GNU coreutils, and lists exactly the
    run folder's files (the manifest and its .sha256 aside)."""
    assert verify_manifest(run / "evidence-manifest.json") == []
    listed = {e["path"] for e in json.loads((run / "evidence-manifest.json").read_text())["files"]}
    present = set(tree(run)) - {"evidence-manifest.json", "evidence-manifest.sha256"}
    assert listed == present
    if SHA256SUM is not None:
        done = subprocess.run([SHA256SUM, "-c", "--quiet", "evidence-manifest.sha256"], cwd=run, text=True)
        assert done.returncode == 0


def output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


# -- refused: nothing deleted -------------------------------------------------------------


def lab_folder(tmp_path: Path) -> dict[str, bytes]:
    """reports/ as a lab keeps it: its README, an earlier run and the engineer's notes."""
    (tmp_path / "reports" / "lab" / "fw-4.1" / "allure-results").mkdir(parents=True)
    (tmp_path / "reports" / "lab" / "fw-4.1" / "allure-results" / "a-result.json").write_text("{}")
    (tmp_path / "reports" / "lab" / "NOTES.txt").write_text("unit 3 reboots when cold\n")
    (tmp_path / "reports" / "README.md").write_text("tracked\n")
    return tree(tmp_path)


@pytest.mark.parametrize("alluredir", ["reports/lab", "reports", ".", "reports/lab/fw-4.1/allure-results"])
def test_a_folder_holding_other_things_is_refused_and_nothing_deleted(tmp_path: Path, alluredir: str) -> None:
    before = lab_folder(tmp_path)
    # --clean-alluredir too: pytest's own cleaning must never reach a folder that is not ours.
    done = plain_pytest(tmp_path, "--alluredir", alluredir, "--clean-alluredir", *ONE_CASE)
    assert done.returncode == EXIT_EVIDENCE_NOT_WRITTEN, output(done)
    assert "results folder refused" in output(done) and "nothing was deleted" in output(done)
    assert "INTERNALERROR" not in output(done)
    assert tree(tmp_path) == before
    assert not (tmp_path / MARKER).exists()


def test_cot_harness_run_refuses_the_same_way(tmp_path: Path) -> None:
    before = lab_folder(tmp_path)
    done = cot_run(tmp_path, "--alluredir", "reports/lab", "--", *ONE_CASE)
    assert done.returncode == EXIT_EVIDENCE_NOT_WRITTEN, output(done)
    assert "NOTES.txt" in output(done) or "lab/" in output(done)
    assert tree(tmp_path) == before


def test_claim_refuses_a_results_folder_of_someone_else_inside_a_new_parent(tmp_path: Path) -> None:
    results = tmp_path / "new" / "allure-results"
    results.mkdir(parents=True)
    (results / "theirs.txt").write_text("x")
    with pytest.raises(RunFolderRefused, match="allure-results/"):
        claim(results, clean=True)
    assert (results / "theirs.txt").read_text() == "x"


# -- each run its own folder ----------------------------------------------------------------


def test_a_run_beside_an_earlier_run_leaves_it_and_the_notes_alone(tmp_path: Path) -> None:
    before = lab_folder(tmp_path)
    done = cot_run(tmp_path, "--alluredir", "reports/lab/fw-4.2/allure-results", "--", *ONE_CASE)
    assert done.returncode == 0, output(done)
    after = tree(tmp_path)
    assert {k: after[k] for k in before} == before  # fw-4.1 and NOTES.txt survive, unchanged
    run = tmp_path / "reports" / "lab" / "fw-4.2"
    assert (run / MARKER).is_file() and any((run / "captures").glob("*.pcapng"))
    # Every path the run wrote is inside its run folder.
    assert {k for k in after if k not in before} == {f"reports/lab/fw-4.2/{k}" for k in tree(run)}
    assert_verifies(run)


def test_runs_land_in_their_own_folders_and_plain_pytest_touches_none(tmp_path: Path) -> None:
    first = cot_run(tmp_path, "--", *ONE_CASE)
    second = cot_run(tmp_path, "--", *ONE_CASE)
    assert first.returncode == 0 and second.returncode == 0, output(first) + output(second)
    runs = sorted(p for p in (tmp_path / "reports" / "runs").iterdir())
    assert len(runs) == 2
    assert (tmp_path / "reports" / "latest").resolve() == runs[1].resolve()
    assert latest_run(tmp_path / "reports") is not None
    for run in runs:
        assert_verifies(run)
    kept = tree(tmp_path / "reports")

    # Plain pytest without --alluredir: no evidence, said so, and the runs' evidence untouched.
    plain = plain_pytest(tmp_path, *ONE_CASE)
    assert plain.returncode == 0, output(plain)
    assert "wrote no evidence" in output(plain)
    assert tree(tmp_path / "reports") == kept
    for run in runs:
        assert_verifies(run)

    # diff takes run folders, the second defaulting to the latest run.
    diff = subprocess.run(
        [sys.executable, "-m", "harness.cli", "diff", str(runs[0])],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert diff.returncode == 0, output(diff)
    assert f"A: {runs[0] / 'allure-results'}" in diff.stdout and "B: reports/latest/allure-results" in diff.stdout
    assert resolve_results(None, tmp_path / "reports") == tmp_path / "reports" / "latest" / "allure-results"

    # -k matching nothing: a run folder of its own, no results, no manifest; latest points at it,
    # so the earlier run's evidence is not taken for this run's.
    nothing = cot_run(tmp_path, "--", "-k", "NO-SUCH-CASE")
    assert nothing.returncode == 5, output(nothing)
    assert "no case ran" in output(nothing)
    empty = (tmp_path / "reports" / "latest").resolve()
    assert empty not in {r.resolve() for r in runs}
    assert not (empty / "evidence-manifest.json").exists()
    assert not any((empty / "allure-results").glob("*-result.json"))
    assert tree(tmp_path / "reports" / "runs" / runs[1].name) == tree(runs[1])
    for run in runs:
        assert_verifies(run)


def test_the_same_folder_twice_is_refused_unless_asked_to_replace_it(tmp_path: Path) -> None:
    results = "lab/run-1/allure-results"
    assert cot_run(tmp_path, "--alluredir", results, "--", *ONE_CASE).returncode == 0
    run = tmp_path / "lab" / "run-1"
    kept = tree(run)
    again = cot_run(tmp_path, "--alluredir", results, "--", *ONE_CASE)
    assert again.returncode == EXIT_EVIDENCE_NOT_WRITTEN, output(again)
    assert "holds an earlier run" in output(again) and "--clean-alluredir" in output(again)
    assert tree(run) == kept  # not mixed with a second run's results
    replaced = cot_run(tmp_path, "--alluredir", results, "--", "--clean-alluredir", *ONE_CASE)
    assert replaced.returncode == 0, output(replaced)
    assert len(list((run / "allure-results").glob("*-result.json"))) == len(
        [k for k in kept if k.endswith("-result.json")]
    )
    assert_verifies(run)


# -- evidence that cannot be written --------------------------------------------------------


def test_a_read_only_parent_exits_non_zero_naming_the_path(tmp_path: Path) -> None:
    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        done = cot_run(tmp_path, "--alluredir", "readonly/run/allure-results", "--", *ONE_CASE, unprivileged=True)
    finally:
        parent.chmod(0o755)
    assert done.returncode == EXIT_EVIDENCE_NOT_WRITTEN, output(done)
    assert f"run evidence not written: cannot write {parent / 'run'}: Permission denied" in output(done)
    assert "INTERNALERROR" not in output(done)
    assert list(parent.iterdir()) == []


def test_a_read_only_results_folder_exits_non_zero_without_internal_error(tmp_path: Path) -> None:
    results = tmp_path / "run" / "allure-results"
    results.mkdir(parents=True)
    results.chmod(0o555)
    try:
        done = cot_run(tmp_path, "--alluredir", str(results), "--", *ONE_CASE, unprivileged=True)
    finally:
        results.chmod(0o755)
    assert done.returncode == EXIT_EVIDENCE_NOT_WRITTEN, output(done)
    assert f"cannot write {results}: Permission denied" in output(done)
    assert "INTERNALERROR" not in output(done) and "Traceback" not in output(done)


def test_a_read_only_reports_folder_stops_cot_harness_run(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    try:
        done = cot_run(tmp_path, "--", *ONE_CASE, unprivileged=True)
    finally:
        reports.chmod(0o755)
    assert done.returncode == EXIT_EVIDENCE_NOT_WRITTEN, output(done)
    assert "cannot write reports/runs: Permission denied" in output(done)
    assert list(reports.iterdir()) == []
