"""The worked example of docs/device-models.md: a lab's own firmware model, run like a lab runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.profile import load_profile
from harness.selftest import RUN_TIMEOUT_S

REPO = Path(__file__).resolve().parents[1]
PROFILE = "examples/my-firmware.yaml"


def _verdicts(alluredir: Path) -> dict[str, str]:
    """as_id label -> Allure status of every conformance case in a results folder."""
    found: dict[str, str] = {}
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        labels = {label["name"]: label["value"] for label in result.get("labels", [])}
        if "as_id" in labels:
            found[labels["as_id"]] = result["status"]
    return found


def test_example_profile_names_the_example_model() -> None:
    profile = load_profile(REPO / PROFILE)
    assert profile.is_simulated
    assert profile.simulation is not None
    assert profile.simulation.model == "examples.my_firmware:ForgetsGasHistory"


# The example keeps the gas history: CLR-01 fails, and so do the cases judging that the
# previous occupier's data stays gone (CLR-07 power cycle, CLR-08 periodic refresh), a
# CoT from the GPF alone clearing the gas data (SCOPE-01) and the CoT learnt by query
# clearing every stored class (POLL-05 at power-on, IMPL-03 after a rejoin, POLL-07 by a periodic query).
EXPECTED_FAILURES = {"CLR-01", "CLR-07", "CLR-08", "SCOPE-01", "POLL-05", "POLL-07", "IMPL-03"}


def test_the_suite_catches_the_example_firmware_where_its_rule_is_checked(tmp_path: Path) -> None:
    results = tmp_path / "r"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", PROFILE, "--alluredir", str(results)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,  # a hung run, not a slow one (harness.selftest)
    )
    output = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode != 0, output
    verdicts = _verdicts(results)
    assert verdicts.get("CLR-01") == "failed", f"{verdicts}\n{output}"
    failed = {case_id for case_id, status in verdicts.items() if status == "failed"}
    assert failed == EXPECTED_FAILURES, f"unrelated failures: {sorted(failed - EXPECTED_FAILURES)}\n{output}"
    assert "broken" not in verdicts.values(), f"{verdicts}\n{output}"
