"""Every case is proven by a device that breaks its rule and one that keeps it.

A false PASS is the worst defect this product can have: these tests run the suite end to
end (zigpy-znp, serial, emulator, simulated device) and read the Allure verdicts back.
"""

from __future__ import annotations

import pytest

from harness.catalogue import CASES
from harness.selftest import Outcome
from harness.sim.matrix import MATRIX
from tests.report.report_runs import CliRun
from tests.suite.allure_results import result_of, statuses
from tests.suite.conftest import REPO

PROFILES = REPO / "device_profiles"
REFERENCES = [
    "sim-ihd.yaml",
    "sim-ppmid.yaml",
    "sim-dual-fuel-ihd.yaml",
    "sim-ihd-scheduled.yaml",
    "sim-ihd-read-attributes.yaml",
    "sim-dual-fuel-ihd-fuel-scope.yaml",
]


def test_a_reference_run_exits_zero(reference_cli_run: CliRun) -> None:
    """`cot-harness run` as a lab starts it (the session's, which the report tests read too);
    the verdicts of every reference are read from the session's reference runs (below, as the
    matrix makes them), the same suite on the same profiles."""
    done = reference_cli_run.done
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert set(statuses(reference_cli_run.alluredir)) == set(CASES)


@pytest.mark.parametrize("profile", REFERENCES)
def test_reference_device_passes_every_applicable_case(reference_outcomes: list[Outcome], profile: str) -> None:
    outcome = next(o for o in reference_outcomes if o.entry.spec is None and o.entry.profile == profile)
    assert outcome.results is not None, outcome.problems
    results = outcome.results
    verdicts = statuses(results)
    assert set(verdicts) == set(CASES), "every catalogue case must report a verdict"
    assert {v for v in verdicts.values()} <= {"passed", "skipped"}, verdicts
    skipped = [c for c, v in verdicts.items() if v == "skipped"]
    # Single-fuel profiles skip the dual-fuel and clear-scope cases, on_receipt ones IMPL-04;
    # every IHD/PPMID skips the meter cases (ESI), which judge an ESME or GPF under test; the SEC
    # cases apply only with radio.security cbke (every one of them, then).
    security = [c for c in skipped if c.startswith("SEC-")]
    assert len(security) in (0, len([c for c in CASES if c.startswith("SEC-")])), security
    assert len([c for c in skipped if not c.startswith(("ESI-", "SEC-"))]) <= 6, (
        f"too many cases not applicable: {skipped}"
    )
    for case_id in skipped:  # a skip names the profile field that decided it
        message = result_of(results, case_id)["statusDetails"]["message"]
        assert "not applicable:" in message and any(
            field in message
            for field in ("stores", "esi.sources", "behaviour.", "bench.", "identity.role", "radio.security")
        ), message


def test_keeps_consumption_history_is_caught_by_clr_01(variant_cli_run: CliRun) -> None:
    """`cot-harness run` of variants/keeps-consumption-history.yaml (the session's)."""
    done = variant_cli_run.done
    assert done.returncode != 0, "a failing case must make the run exit non-zero"
    results = variant_cli_run.alluredir
    verdicts = statuses(results)
    # failed (a device fault), not broken (a bench fault), and only where the rule is checked:
    # CLR-01, and the cases that judge the cleared data staying gone (power cycle, refresh)
    row = next(spec for spec in MATRIX if spec.model.__name__ == "KeepsConsumptionHistory")
    assert "CLR-01" in row.failed
    assert verdicts["CLR-01"] == "failed", verdicts
    assert {c for c, v in verdicts.items() if v == "failed"} == set(row.failed), verdicts
    others = {c: v for c, v in verdicts.items() if c not in row.failed}
    assert set(others.values()) <= {"passed", "skipped"}, others
    message = result_of(results, "CLR-01")["statusDetails"]["message"]
    assert "consumption_history" in message and "still shown" in message, message
