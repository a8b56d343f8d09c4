"""Fixtures that run the conformance suite as a lab would: `cot-harness run` in a subprocess.
The reference runs, made once per session as `cot-harness selftest` makes them, are
tests/conftest.py's (reference_outcomes); the fault variants are the selftest's, in CI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.selftest import RUN_TIMEOUT_S

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
