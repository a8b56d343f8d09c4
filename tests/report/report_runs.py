"""Producing real results for the report tests: `cot-harness run` in a subprocess, as a lab runs
it, and a tiny pytest + allure-pytest run that records measurements the way a case does."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "device_profiles"
REFERENCE = PROFILES / "sim-ihd.yaml"
VARIANT = PROFILES / "variants" / "keeps-consumption-history.yaml"
NETWORK_KEY = "01:23:45:67:89:ab:cd:ef:fe:dc:ba:98:76:54:32:10"
INSTALL_CODE = "83FED3407A939723A5C639B26916D505C3B5"  # the example of the real-IHD template

CopyRun = Callable[[Path], Path]
MeasuringRun = Callable[[str, float], Path]


@dataclasses.dataclass(frozen=True)
class CliRun:
    """A `cot-harness run` made once a session (tests/conftest.py) and read by several tests."""

    done: subprocess.CompletedProcess[str]
    alluredir: Path


def run_suite(alluredir: Path, profile: Path = REFERENCE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", str(profile), "--alluredir", str(alluredir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def profile_with(tmp: Path, name: str, base: Path = REFERENCE, **changes: dict[str, object]) -> Path:
    """A copy of a reference profile with some sections changed (e.g. identity={...})."""
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    if data.get("answers_file"):  # relative to the profile's folder: keep it pointing there
        data["answers_file"] = str((base.parent / data["answers_file"]).resolve())
    path = tmp / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


MEASURING_TEST = textwrap.dedent(
    """
    import allure
    import pytest

    from harness.evidence import measurements

    @pytest.fixture(autouse=True)
    def case():
        # What the plugin does around every conformance case.
        allure.dynamic.label("as_id", "CLR-05")
        measurements.begin_case()
        yield
        measurements.end_case()

    def test_clearing_latency():
        measurements.record("clearing latency", {latency}, "s", high=10)
        measurements.record("frames sent", 3, "frames")
    """
)


def measuring_run(folder: Path, latency: float) -> Path:
    """Real Allure results of one test labelled CLR-05 that records two measurements."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_measuring.py").write_text(MEASURING_TEST.format(latency=latency), encoding="utf-8")
    alluredir = folder / "allure-results"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:cot_harness"]
        + ["--alluredir", str(alluredir), "test_measuring.py"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return alluredir
