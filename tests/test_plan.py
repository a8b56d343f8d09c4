"""`cot-harness plan` against what runs really do.

The plan is computed from the profile alone (harness.applicability, testcases.bench_time);
each claim is checked against real simulated runs of the suite: the cases it says will not
run are the ones the run skips, with the same reason; its bench time is the run's measured
bench time within 10 %; the cases it says need a person are the ones an operator-observed
run without a person cannot judge, each for a step the plan names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.catalogue import CASES
from harness.plan import SOAK_SKIP, make_plan, run_order
from harness.profile import load_profile
from harness.reference_profiles import profiles_dir
from harness.selftest import (
    RUN_TIMEOUT_S,  # a bound on a hung run (30 min), never a measure
    Outcome,
)
from harness.sim.matrix import REFERENCES

REPO = Path(__file__).resolve().parents[1]
PROFILES = profiles_dir()
AGREEMENT = 0.10  # the issue's: estimate and measured virtual bench time within 10 %


def _run(profile: Path, folder: Path) -> dict[str, dict[str, Any]]:
    """Each case's Allure result of a `cot-harness run` of the profile (no terminal)."""
    alluredir = folder / "allure-results"
    subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", str(profile), "--alluredir", str(alluredir)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    return _results(profile.name, alluredir)


def _results(profile: str, alluredir: Path) -> dict[str, dict[str, Any]]:
    """Each case's Allure result of a whole-suite run of the profile."""
    found = {}
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        case_id = next((label["value"] for label in result["labels"] if label["name"] == "as_id"), None)
        if case_id:
            found[case_id] = result
    assert set(found) == set(CASES), f"{profile}: the run left results for {sorted(found)}"
    return found


def _bench_time(result: dict[str, Any]) -> float:
    return next((float(p["value"].strip("'")) for p in result["parameters"] if p["name"] == "bench time (s)"), 0.0)


@pytest.fixture(scope="module")
def reference_runs(reference_outcomes: list[Outcome]) -> dict[str, dict[str, dict[str, Any]]]:
    """The session's runs of the reference profiles (tests/conftest.py: the whole suite, as
    `cot-harness selftest` runs it, which the matrix reuses), read back per case."""
    runs = {}
    for name in REFERENCES:
        outcome = next(o for o in reference_outcomes if o.entry.spec is None and o.entry.profile == name)
        assert outcome.results is not None, f"{name}: {outcome.problems}"
        runs[name] = _results(name, outcome.results)
    return runs


@pytest.mark.parametrize("name", REFERENCES)
def test_the_plan_says_what_the_run_skips_and_why(name: str, reference_runs: dict[str, Any]) -> None:
    path = PROFILES / name
    plan = make_plan(load_profile(path), run_order(path), soak=False)
    planned = {case.case_id: case.why_not for case in plan.cases if not case.runs}
    skipped = {
        case_id: result["statusDetails"]["message"].removeprefix("Skipped: ")
        for case_id, result in reference_runs[name].items()
        if result["status"] == "skipped"
    }
    assert planned == skipped
    assert [case.case_id for case in plan.cases] == sorted(
        reference_runs[name], key=lambda c: reference_runs[name][c]["start"]
    ), "the plan lists the cases in the order the run runs them"


@pytest.mark.parametrize("name", REFERENCES)
def test_the_plans_bench_time_is_the_runs_within_ten_percent(name: str, reference_runs: dict[str, Any]) -> None:
    path = PROFILES / name
    plan = make_plan(load_profile(path), run_order(path), soak=False)
    measured = sum(_bench_time(result) for result in reference_runs[name].values())
    assert measured > 0
    # A meter under test only answers requests: its run's bench time is the real time its frames
    # take (planned as 0), not a deadline's. ROB-01 makes the most exchanges (each of its 27
    # fuzzed frames followed by a Get CoT, and the CoT, logs, last message and attributes asked
    # before and after the set: about 65 round trips, 1.2 s of the simulated air's time on
    # sim-esme.yaml); two seconds cover the run.
    slack = 2.0 if load_profile(path).identity.role.is_esi else 0.0
    assert abs(plan.total_seconds - measured) <= AGREEMENT * measured + slack, (
        f"{name}: plan {plan.total_seconds:.0f} s, run {measured:.0f} s of bench time; per case (plan / run): "
        + ", ".join(
            f"{case.case_id} {case.seconds:.0f}/{_bench_time(reference_runs[name][case.case_id]):.0f}"
            for case in plan.cases
            if case.runs
        )
    )


def test_plan_json_is_one_object_with_total_seconds_and_cases() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "plan", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert isinstance(plan["total_seconds"], float | int) and plan["total_seconds"] > 0
    assert [case["id"] for case in plan["cases"]] and {case["id"] for case in plan["cases"]} == set(CASES)
    assert all(isinstance(case["seconds"], float | int) for case in plan["cases"])
    assert abs(sum(case["seconds"] for case in plan["cases"]) - plan["total_seconds"]) < 0.01


def test_a_bad_profile_is_refused_as_run_refuses_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nidentity: {role: toaster}\n")
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "plan", "--profile", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 8 and "bad.yaml" in done.stderr and "identity.role" in done.stderr


def _operator_profile(tmp_path: Path) -> Path:
    data = yaml.safe_load((PROFILES / "sim-ihd.yaml").read_text())
    data["observe"]["consumption_history"] = {"by": "operator", "prompt": "Open the consumption history screen."}
    data["bench"]["power_control"] = {"by": "operator", "prompt": "Switch the IHD off and on again."}
    path = tmp_path / "operator.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_plan_names_every_step_a_person_is_asked_for(tmp_path: Path) -> None:
    """Without a terminal or an answers file, every case that needs a person is broken, naming
    the first answer it needed: those are the plan's cases with operator steps, and each
    names that step."""
    path = _operator_profile(tmp_path)
    plan = make_plan(load_profile(path), run_order(path), soak=False)
    planned = {case.case_id: case.operator_steps for case in plan.cases if case.operator_steps}
    results = _run(path, tmp_path / "run")
    needed = {}
    for case_id, result in results.items():
        message = (result.get("statusDetails") or {}).get("message", "")
        # A soak reader re-raises its taker's error, naming the taker: only a case's own counts.
        if (
            result["status"] == "broken"
            and "operator answer needed for" in message
            and f"in case {case_id} " in message
        ):
            needed[case_id] = message.split("operator answer needed for ", 1)[1].split(" ", 1)[0]
    # The soak's readers ask nobody once it is taken; here its taker broke (nobody answered), so
    # each reader tried to take it again: their asking says nothing of a run that is answered.
    taker = next(case.case_id for case in plan.cases if case.soak and case.runs)
    readers = {case.case_id for case in plan.cases if case.soak and case.case_id != taker}
    assert not readers & set(planned), "a soak reader asks nobody"
    needed = {case_id: key for case_id, key in needed.items() if case_id not in readers}
    assert set(needed) == set(planned), f"needed a person: {sorted(needed)}; planned: {sorted(planned)}"
    for case_id, key in needed.items():
        words = "power-cycle" if key == "instructions" else key.split(".")[0]
        assert any(words in step for step in planned[case_id]), f"{case_id} asked for {key}: {planned[case_id]}"


def test_on_hardware_the_soak_cases_are_planned_only_with_soak(tmp_path: Path) -> None:
    data = yaml.safe_load((PROFILES / "sim-ihd.yaml").read_text())
    data["radio"]["path"] = "socket://192.0.2.1:6638"
    data.pop("simulation")
    data["observe"] = {dc: {"by": "operator", "prompt": "Look at the screen."} for dc in data["stores"]}
    data["bench"] = {"power_control": {"by": "operator", "prompt": "Off and on."}, "rejoin_control": {"by": "none"}}
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    profile = load_profile(path)
    without = make_plan(profile, run_order(path), soak=False)
    with_soak = make_plan(profile, run_order(path), soak=True)
    soak_cases = {case.case_id for case in without.cases if case.soak}
    assert soak_cases, "the catalogue has soak cases"
    assert all(case.why_not == SOAK_SKIP for case in without.cases if case.soak)
    assert all(case.runs for case in with_soak.cases if case.case_id in soak_cases)
    assert with_soak.total_seconds > without.total_seconds


def _failing_once(real: Any, said: str, code: int) -> tuple[Any, list[int]]:
    calls: list[int] = []

    def main(args: list[str], plugins: list[object]) -> int:
        calls.append(1)
        if len(calls) == 1:
            print(said)  # what pytest prints of the collection error, into the plan's capture
            return code
        return real(args, plugins=plugins)

    return main, calls


def test_the_ast_race_of_cpython_3_11_is_collected_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.plan

    main, calls = _failing_once(
        pytest.main, "E   SystemError: AST constructor recursion depth mismatch (before=261, after=277)", 2
    )
    monkeypatch.setattr(harness.plan.pytest, "main", main)
    order = run_order(profiles_dir() / "sim-ihd.yaml")
    assert len(calls) == 2 and [case for case, _soak in order][:2] == ["BENCH-01", "PROF-01"]


def test_any_other_collection_error_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.plan

    main, calls = _failing_once(pytest.main, "E   ImportError: no module named testcases.steps", 2)
    monkeypatch.setattr(harness.plan.pytest, "main", main)
    with pytest.raises(RuntimeError, match="could not be collected"):
        run_order(profiles_dir() / "sim-ihd.yaml")
    assert len(calls) == 1
