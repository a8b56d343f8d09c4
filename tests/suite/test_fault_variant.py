"""Every case is proven by a device that breaks its rule and one that keeps it.

A false PASS is the worst defect this product can have: these tests run the suite end to
end (zigpy-znp, serial, emulator, simulated device) and read the Allure verdicts back.
"""

from __future__ import annotations

from pathlib import Path

from tests.suite.allure_results import result_of, statuses
from tests.suite.conftest import REPO, SuiteRun

REFERENCE = REPO / "device_profiles" / "sim-ihd.yaml"
KEEPS_HISTORY = REPO / "device_profiles" / "variants" / "keeps-consumption-history.yaml"


def test_reference_ihd_passes_every_case(run_suite: SuiteRun, tmp_path: Path) -> None:
    done = run_suite(REFERENCE)
    assert done.returncode == 0, done.stdout + done.stderr
    verdicts = statuses(tmp_path / "allure-results")
    assert verdicts == {"DM-01": "passed", "CLR-01": "passed"}


def test_keeps_consumption_history_is_caught_by_clr_01(run_suite: SuiteRun, tmp_path: Path) -> None:
    done = run_suite(KEEPS_HISTORY)
    assert done.returncode != 0, "a failing case must make the run exit non-zero"
    results = tmp_path / "allure-results"
    verdicts = statuses(results)
    # failed (a device fault), not broken (a bench fault), and only where the rule is checked
    assert verdicts["CLR-01"] == "failed", verdicts
    assert verdicts["DM-01"] == "passed", verdicts
    message = result_of(results, "CLR-01")["statusDetails"]["message"]
    assert "consumption_history" in message and "still shown" in message, message
