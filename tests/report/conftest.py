"""Fixtures for the report tests: real runs of the suite, shared per session.

Session-scoped because a run costs a few seconds and most tests only read its results; a test
that changes files works on its own copy (`copy_run`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_runs import (
    INSTALL_CODE,
    NETWORK_KEY,
    CliRun,
    CopyRun,
    MeasuringRun,
    measuring_run,
    profile_with,
    run_suite,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: installs or runs external tools (Allure 3 via npm)")


def _results(done: subprocess.CompletedProcess[str], alluredir: Path) -> Path:
    if not any(alluredir.glob("*-result.json")):
        pytest.fail(f"the run left no results (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr}")
    return alluredir


@pytest.fixture(scope="session")
def reference_run(reference_cli_run: CliRun) -> Path:
    """allure-results of the suite against the simulated reference IHD (captures/ beside it)."""
    return _results(reference_cli_run.done, reference_cli_run.alluredir)


@pytest.fixture(scope="session")
def variant_run(variant_cli_run: CliRun) -> Path:
    """The fault variant that keeps consumption history: CLR-01 fails."""
    return _results(variant_cli_run.done, variant_cli_run.alluredir)


@pytest.fixture(scope="session")
def secret_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference profile with a network key and an install code: secrets to leak."""
    return profile_with(
        tmp_path_factory.mktemp("profile"),
        "sim-ihd-with-secrets.yaml",
        identity={"install_code": INSTALL_CODE},
        radio={"network_key": NETWORK_KEY},
    )


@pytest.fixture(scope="session")
def secret_run(tmp_path_factory: pytest.TempPathFactory, secret_profile: Path) -> Path:
    alluredir = tmp_path_factory.mktemp("secret") / "allure-results"
    return _results(run_suite(alluredir, secret_profile), alluredir)


@pytest.fixture
def copy_run(tmp_path: Path) -> CopyRun:
    """Copy a run's reports folder (allure-results and captures) into tmp_path; returns the
    copied allure-results."""

    def copy(alluredir: Path) -> Path:
        target = tmp_path / "reports"
        shutil.copytree(alluredir.parent, target)
        return target / alluredir.name

    return copy


@pytest.fixture
def measurement_runs(tmp_path: Path) -> MeasuringRun:
    """run(name, latency) -> allure-results of a test (case CLR-05) recording that latency."""
    return lambda name, latency: measuring_run(tmp_path / name, latency)
