"""The worked example of docs/device-models.md: a lab's own firmware model, run like a lab runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.profile import load_profile

REPO = Path(__file__).resolve().parents[1]
PROFILE = "examples/my-firmware.yaml"
RUN_TIMEOUT_S = 600


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


def test_the_suite_catches_the_example_firmware_on_clr_01_only(tmp_path: Path) -> None:
    results = tmp_path / "r"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", PROFILE, "--alluredir", str(results)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    output = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode != 0, output
    verdicts = _verdicts(results)
    assert verdicts.get("CLR-01") == "failed", f"{verdicts}\n{output}"
    others = sorted(case_id for case_id, status in verdicts.items() if status == "failed" and case_id != "CLR-01")
    assert not others, f"unrelated failures: {others}\n{output}"
    assert "broken" not in verdicts.values(), f"{verdicts}\n{output}"
