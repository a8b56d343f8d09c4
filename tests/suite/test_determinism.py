"""Verdicts are a function of profile, model and seed: the same run gives the same verdicts.

docs/measurements.md has the long series (20 runs of each reference); these are the
samples CI repeats on every change.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest
import yaml

from tests.suite.allure_results import statuses
from tests.suite.conftest import REPO, SuiteRun

PROFILES = REPO / "device_profiles"
REPEATS = 3


def _with_model(tmp_path: Path, base: str, model: str) -> Path:
    data = yaml.safe_load((PROFILES / base).read_text())
    data["simulation"]["model"] = model
    profile = tmp_path / f"{model.rpartition(':')[2]}.yaml"
    profile.write_text(yaml.safe_dump(data))
    return profile


def _verdicts(run_suite: SuiteRun, tmp_path: Path, profile: Path, *extra: str) -> list[dict[str, str]]:
    """REPEATS runs of the same profile, each a fresh `cot-harness run` process (its own hash
    seed, its own import of everything), made side by side: the runs share nothing, so
    running them at once proves the same as one after another, in a third of the time."""

    def one(number: int) -> dict[str, str]:
        results = tmp_path / f"run-{number + 1}" / "allure-results"
        done = run_suite(profile, *extra, alluredir=results)
        assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
        found = statuses(results)
        assert found, f"run {number + 1} wrote no results"
        return found

    with concurrent.futures.ThreadPoolExecutor(max_workers=REPEATS) as pool:
        return list(pool.map(one, range(REPEATS)))


def test_a_device_that_clears_by_its_own_timer_passes_every_time(run_suite: SuiteRun, tmp_path: Path) -> None:
    profile = _with_model(tmp_path, "sim-ihd.yaml", "tests.suite.own_timer_clearing:ClearsByOwnTimer")
    runs = _verdicts(run_suite, tmp_path, profile)
    for verdicts in runs:
        assert verdicts["CLR-05"] == "passed", verdicts
        assert set(verdicts.values()) <= {"passed", "skipped"}, verdicts
    assert all(run == runs[0] for run in runs), runs


@pytest.mark.parametrize(
    ("base", "model"),
    [
        ("sim-ihd.yaml", None),
        ("sim-ihd.yaml", "harness.sim.variants:ClearsTooSlowly"),
        ("sim-ppmid.yaml", "harness.sim.variants:KeepsTopUpHistory"),
    ],
)
def test_the_same_run_gives_the_same_verdicts(
    run_suite: SuiteRun, tmp_path: Path, base: str, model: str | None
) -> None:
    profile = PROFILES / base if model is None else _with_model(tmp_path, base, model)
    runs = _verdicts(run_suite, tmp_path, profile)
    assert all(run == runs[0] for run in runs), runs


def test_the_same_air_seed_gives_the_same_verdicts(run_suite: SuiteRun, tmp_path: Path) -> None:
    runs = _verdicts(
        run_suite, tmp_path, PROFILES / "sim-ihd.yaml", "--air", "loss=0.1,jitter=200ms", "--air-seed", "7"
    )
    assert all(run == runs[0] for run in runs), runs
    assert set(runs[0].values()) <= {"passed", "skipped"}, runs[0]
