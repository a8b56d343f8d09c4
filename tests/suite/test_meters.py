"""A meter under test (ESME, GPF): the harness as its IHD, the ESI cases and their guards.

The reference meters and their fault variants run in the session's matrix
(tests/suite/test_selftest.py); these tests check what the matrix cannot: that a meter
holding no previous occupier's data makes the cases broken (never a vacuous pass), which
cases apply to which role, the profile's refusals and the plan's operator step.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.applicability import not_applicable
from harness.catalogue import CASES
from harness.errors import BenchError
from harness.plan import make_plan, plan_text, run_order
from harness.profile import ProfileError, load_profile
from harness.selftest import Entry, Outcome, run_entries
from harness.sim.facade import SimulationFacade
from tests.suite.allure_results import result_of, statuses
from tests.suite.conftest import REPO

PROFILES = REPO / "device_profiles"
ESI = sorted(c for c in CASES if c.startswith("ESI-"))
HISTORY_MODELS = "tests.suite.period_history_meters"
# The whole-suite runs these tests read, by name: (reference profile, changes to it).
RUNS: dict[str, tuple[str, dict[str, object]]] = {
    "EmptyMeter": ("sim-esme.yaml", {"simulation__model": "tests.suite.empty_meter:EmptyMeter"}),
    "failed trigger": ("sim-esme.yaml", {"bench__cot_trigger": {"by": "command", "command": ["false"]}}),
    "NoWeekHistoryMeter": ("sim-esme.yaml", {"simulation__model": f"{HISTORY_MODELS}:NoWeekHistoryMeter"}),
    "NoPeriodCostMeter": ("sim-gpf.yaml", {"simulation__model": f"{HISTORY_MODELS}:NoPeriodCostMeter"}),
    "CostAppearsAfterCotMeter": ("sim-gpf.yaml", {"simulation__model": f"{HISTORY_MODELS}:CostAppearsAfterCotMeter"}),
}


def _variant_of(name: str, tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load((PROFILES / name).read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def meter_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each of RUNS, a whole-suite run forked from one selftest template (the imports made
    once, not once a `cot-harness run` process): name -> its allure-results."""
    workdir = tmp_path_factory.mktemp("meter-runs")
    chosen = []
    for name, (reference, changes) in RUNS.items():
        folder = workdir / "profiles" / name.replace(" ", "_")
        folder.mkdir(parents=True)
        chosen.append(Entry(f"meters {name}", str(_variant_of(reference, folder, **changes)), None, None))
    ran: dict[str, Outcome] = {outcome.entry.name: outcome for outcome in run_entries(chosen, workdir, [], jobs=2)}
    found = {}
    for name in RUNS:
        outcome = ran[f"meters {name}"]
        assert outcome.results is not None and outcome.verdicts, f"{name}: no verdicts\n{outcome.output[-3000:]}"
        found[name] = outcome.results
    return found


def test_a_meter_holding_no_previous_occupiers_data_is_broken_never_passed(meter_runs: dict[str, Path]) -> None:
    results = meter_runs["EmptyMeter"]
    verdicts = statuses(results)
    esi = {c: verdicts[c] for c in ESI}
    # ESI-01 judges only the CoT before the trigger; every case after it needs the pre-CoT data.
    assert esi == {"ESI-01": "passed"} | {c: "broken" for c in ESI[1:]}, esi
    message = result_of(results, "ESI-02")["statusDetails"]["message"]
    assert "top-up log" in message and "debt repayment log" in message and "last message" in message, message


@pytest.mark.parametrize("name", ["sim-esme.yaml", "sim-gpf.yaml"])
def test_for_a_meter_only_the_bench_esi_and_robustness_cases_apply(name: str) -> None:
    profile = load_profile(PROFILES / name)
    applies = {c for c in CASES if not_applicable(c, profile) is None}
    # ROB-01/02 judge either role (a meter: testcases/steps/meter_robustness.py).
    assert applies == {"BENCH-01", "PROF-01", "ROB-01", "ROB-02", *ESI}
    for case_id in set(CASES) - applies:
        assert (
            not_applicable(case_id, profile)
            == f"not applicable: identity.role is {profile.identity.role}, not a DM client"
        )


def test_for_an_ihd_no_esi_case_applies_and_nothing_else_changes() -> None:
    profile = load_profile(PROFILES / "sim-ihd.yaml")
    for case_id in ESI:
        assert not_applicable(case_id, profile) == "not applicable: identity.role is ihd, not a meter (esme or gpf)"
    assert not_applicable("DM-01", profile) is None


def test_without_trigger_or_push_the_cases_needing_them_skip_naming_the_field(tmp_path: Path) -> None:
    no_push = load_profile(_variant_of("sim-esme.yaml", tmp_path, behaviour__push_capable=False))
    assert (
        not_applicable("ESI-05", no_push) == "not applicable: behaviour.push_capable is false: the meter does not push"
    )
    assert not_applicable("ESI-07", no_push) is not None and not_applicable("ESI-04", no_push) is None
    no_trigger = load_profile(_variant_of("sim-gpf.yaml", tmp_path, bench__cot_trigger={"by": "none"}))
    assert not_applicable("ESI-01", no_trigger) is None
    for case_id in ESI[1:]:
        assert not_applicable(case_id, no_trigger) == "not applicable: bench.cot_trigger is none"


def test_a_meter_profile_naming_esi_sources_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as error:
        load_profile(_variant_of("sim-esme.yaml", tmp_path, esi__sources=["esme"]))
    assert "esi.sources" in str(error.value) and "plays no meter" in str(error.value)


def test_the_plan_shows_the_operator_trigger_with_the_meters_address(tmp_path: Path) -> None:
    path = _variant_of("sim-gpf.yaml", tmp_path, bench__cot_trigger={"by": "operator"})
    text = plan_text(make_plan(load_profile(path), run_order(path), soak=False))
    assert (
        "send DCC SR 3.2 Restrict Access for Change of Tenancy to the GPF 00:0d:6f:00:0e:5e:00:02 (GBCS GCS09)" in text
    )
    assert "1 operator step(s)" in text


def test_only_a_meter_model_takes_a_cot_in_simulation() -> None:
    facade = SimulationFacade(load_profile(PROFILES / "sim-ihd.yaml"))
    facade.world.uut = facade.world.model(facade.world)
    with pytest.raises(BenchError, match="is no meter"):
        facade.act_on_unit("change_of_tenancy")


def test_joining_the_meters_network_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as error:
        load_profile(_variant_of("sim-esme.yaml", tmp_path, radio__network="join"))
    assert "radio.network" in str(error.value) and "cannot join" in str(error.value)


def test_a_failed_trigger_is_tried_once_and_the_rest_are_broken_with_its_reason(meter_runs: dict[str, Path]) -> None:
    results = meter_runs["failed trigger"]
    verdicts = statuses(results)
    assert {c: verdicts[c] for c in ESI} == {"ESI-01": "passed"} | {c: "broken" for c in ESI[1:]}
    assert "cot exited 1" in result_of(results, "ESI-02")["statusDetails"]["message"]
    for case_id in ESI[2:]:
        assert "not tried again" in result_of(results, case_id)["statusDetails"]["message"]


def test_the_plan_books_a_trigger_commands_timeout_and_the_push_window_as_worst_case(tmp_path: Path) -> None:
    from testcases.bench_time import ESTIMATES, worst_case

    script = tmp_path / "dcc-sr-3-2.sh"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    command = {"by": "command", "command": ["./dcc-sr-3-2.sh"], "timeout": "90s"}
    path = _variant_of("sim-esme.yaml", tmp_path, bench__cot_trigger=command, timings__cot_push_within="45s")
    profile = load_profile(path)
    plan = make_plan(profile, run_order(path), soak=False)
    seconds = {c.case_id: c.seconds for c in plan.cases if c.runs}
    assert seconds["ESI-02"] == 90.0, seconds  # the one trigger, by ESI-02
    # ESI-04's hold past the next midnight and poll.max_interval (24 h): a day and a half-hour
    assert seconds["ESI-04"] == 24.5 * 3600 and sum(seconds.values()) == 90.0 + 24.5 * 3600, seconds
    worst = worst_case(profile)
    assert worst["ESI-05"] == worst["ESI-07"] == 45.0 and worst["ESI-02"] == 90.0
    # the 25-hour local day of the autumn clock change, and the meter back after its power cycle
    assert worst["ESI-04"] == 25.5 * 3600 + profile.timings.poll.after_join.total_seconds()
    no_push = load_profile(_variant_of("sim-esme.yaml", tmp_path, behaviour__push_capable=False))
    assert worst_case(no_push)["ESI-05"] == worst_case(no_push)["ESI-07"] == 0.0
    operator = load_profile(_variant_of("sim-gpf.yaml", tmp_path, bench__cot_trigger={"by": "operator"}))
    assert ESTIMATES["ESI-02"](operator) == 0.0  # no declared time: the plan lists the operator's step
    ihd = load_profile(PROFILES / "sim-ihd.yaml")
    assert not any(f(ihd) or worst_case(ihd)[c] for c, f in ESTIMATES.items() if c.startswith("ESI-"))


def test_a_meter_serving_no_previous_week_is_broken_and_week_cost_is_optional_but_judged(
    meter_runs: dict[str, Path],
) -> None:
    def run(model: str) -> Path:
        assert "ESI-04" in statuses(meter_runs[model]), model
        return meter_runs[model]

    no_week = run("NoWeekHistoryMeter")
    assert statuses(no_week)["ESI-04"] == "broken"
    message = result_of(no_week, "ESI-02")["statusDetails"]["message"]
    assert "previous week consumption (cluster 0x0702 attribute 0x0432)" in message, message
    assert "previous month consumption (" not in message, message
    assert statuses(run("NoPeriodCostMeter"))["ESI-04"] == "passed"  # optional before the CoT
    appears = run("CostAppearsAfterCotMeter")
    assert statuses(appears)["ESI-04"] == "failed"  # and still judged after it
    message = result_of(appears, "ESI-04")["statusDetails"]["message"]
    assert "previous week cost (cluster 0x0705 attribute 0x0532)" in message and "wholly before it" in message, message
