"""Fixtures that run the conformance suite as a lab would: `cot-harness run` in a subprocess;
and the fault-variant matrix, run once per session (as `cot-harness selftest` runs it) for
every test that reads its verdicts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.selftest import RUN_TIMEOUT_S, Outcome, run_matrix

REPO = Path(__file__).resolve().parents[2]

SuiteRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_suite(tmp_path: Path) -> SuiteRun:
    """Run the suite on a profile; results land in tmp_path/allure-results."""

    def run(profile: Path, *extra: str, alluredir: Path | None = None) -> subprocess.CompletedProcess[str]:
        """`alluredir`: another results folder (runs made side by side need one each)."""
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "harness.cli",
                "run",
                "--profile",
                str(profile),
                "--alluredir",
                str(alluredir or tmp_path / "allure-results"),
                *extra,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )

    return run


@pytest.fixture(scope="session")
def matrix_outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    """The whole matrix (every reference device and fault variant), run once for the session."""
    return run_matrix(None, [], jobs=2, workdir=tmp_path_factory.mktemp("matrix"), progress=lambda _line: None)
