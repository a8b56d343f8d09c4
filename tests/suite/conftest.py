"""Fixtures that run the conformance suite as a lab would: `cot-harness run` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SuiteRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_suite(tmp_path: Path) -> SuiteRun:
    """Run the suite on a profile; results land in tmp_path/allure-results."""

    def run(profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "harness.cli",
                "run",
                "--profile",
                str(profile),
                "--alluredir",
                str(tmp_path / "allure-results"),
                *extra,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run
