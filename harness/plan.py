"""`cot-harness plan`: what a run of this profile will do, before anything is opened.

For booking a bench and staffing it: the cases that will run, in the order they run, and why
the others will not (harness.applicability, the table the plugin skips by); the bench time
each will hold, in all and per case (testcases.bench_time, the estimates the cases' own
windows are computed from); and every step a person at the bench will be asked for, in order
(the data classes the profile observes `by: operator` that each case judges, and the power
cycles and rejoins the profile's bench controls leave to a person).

The run order is pytest's own: the suite is collected (not run) with the profile, so a
profile error is refused here exactly as `cot-harness run` refuses it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

from harness.applicability import NEEDS_STORED_DATA, not_applicable, provocation
from harness.catalogue import CASES
from harness.domain import DATA_CLASSES, DataClass
from harness.profile import Profile
from harness.profile.rules import has_remote_simulation

__all__ = ["CasePlan", "Plan", "make_plan", "plan_text", "run_order"]

SOAK_SKIP = "soak case on hardware: run with --soak"

# What each case asks of the bench beyond the meters' frames: the controls it uses
# ("power", "rejoin", or "provoke": a rejoin, else a power cycle, the quickest the bench offers).
_CONTROLS: dict[str, tuple[str, ...]] = {
    "CLR-07": ("power", "power"),  # twice: the second start-up is judged too
    "NEG-05": ("power", "rejoin"),
    "POLL-01": ("power",),
    "POLL-02": ("rejoin",),
    "IMPL-03": ("provoke",),
    "ESI-02": ("cot",),  # the one CoT trigger the post-CoT ESI cases share (testcases/meter_cot.py)
    "ESI-04": ("power",),  # the CoT and its withholding over a power cycle, when the bench has power control
}


@dataclasses.dataclass(frozen=True)
class CasePlan:
    case_id: str
    title: str
    runs: bool
    why_not: str | None  # the skip reason when it does not run
    seconds: float  # estimated bench time (0 when it does not run)
    soak: bool
    operator_steps: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self) | {"operator_steps": list(self.operator_steps)}
        return {"id": data.pop("case_id"), **data}


@dataclasses.dataclass(frozen=True)
class Plan:
    profile: str
    device: str
    simulated: bool
    soak: bool
    cases: tuple[CasePlan, ...]

    @property
    def total_seconds(self) -> float:
        return sum(case.seconds for case in self.cases)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "device": self.device,
            "simulated": self.simulated,
            "soak": self.soak,
            "total_seconds": round(self.total_seconds, 3),
            "cases": [case.as_dict() for case in self.cases],
        }


_COLLECTION_ATTEMPTS = 3
_AST_RACE = "AST constructor recursion depth mismatch"


class _Collector:
    def __init__(self) -> None:
        self.order: list[tuple[str, bool]] = []  # (case ID, marked soak), in run order

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("case")
            if marker is not None:
                self.order.append((marker.args[0], item.get_closest_marker("soak") is not None))


def run_order(profile_path: Path) -> list[tuple[str, bool]]:
    """The cases in the order `cot-harness run` runs them, and whether each is a soak case."""
    import testcases

    for attempt in range(_COLLECTION_ATTEMPTS):
        collector = _Collector()
        said = io.StringIO()
        with contextlib.redirect_stdout(said):  # pytest's own report of a collection is not the plan
            code = pytest.main(
                [str(Path(testcases.__file__).parent), "--collect-only", "-q", "-p", "no:cacheprovider"]
                + ["--profile", str(profile_path)],
                plugins=[collector],
            )
        # CPython 3.11's AST bookkeeping (gh-106905, harness/ast_serial.py) can fail the
        # rewrite of a case module in a long-lived process that already ran other sessions;
        # the module is then not imported, and the next collection rewrites it afresh.
        if _AST_RACE not in said.getvalue() or attempt == _COLLECTION_ATTEMPTS - 1:
            break
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(
            f"the suite could not be collected with {profile_path} (pytest exit {int(code)}):\n{said.getvalue()[-2000:]}"
        )
    return collector.order


def _observed_by_operator(profile: Profile, classes: list[DataClass]) -> list[str]:
    return [str(dc) for dc in classes if getattr(profile.observe.get(dc), "by", None) == "operator"]


def _judged_classes(case_id: str, profile: Profile) -> list[DataClass]:
    """The data classes a case looks at on the unit."""
    own = next((row.data_class for row in DATA_CLASSES.values() if row.case_id == case_id), None)
    if own is not None:
        return [own]
    if case_id in NEEDS_STORED_DATA or case_id == "CLR-06":
        return [DataClass(dc) for dc in profile.stores]
    return []


def _control_steps(case_id: str, profile: Profile) -> list[str]:
    steps = []
    for control in _CONTROLS.get(case_id, ()):
        if control == "cot":
            if profile.bench.cot_trigger.by == "operator":
                from harness.bench.controls import cot_instruction

                steps.append(
                    f"{cot_instruction(profile)} when asked (bench.cot_trigger is by operator), then press Enter"
                )
            continue
        if control == "provoke":
            how = provocation(profile)
            if how is None:
                continue
            control = "rejoin" if how == "rejoin" else "power"
        capability = "power_control" if control == "power" else "rejoin_control"
        if getattr(profile.bench, capability).by == "operator":
            what = "power-cycle the unit" if control == "power" else "make the unit leave and rejoin the network"
            steps.append(f"{what} when asked (bench.{capability} is by operator), then press Enter")
    return steps


def _operator_steps(case_id: str, profile: Profile, soak: str = "") -> tuple[str, ...]:
    """soak: "takes" for the soak case that takes the shared soak (it looks at every stored
    class), "reads" for the others (they judge the soak taken, and ask nobody)."""
    steps = _control_steps(case_id, profile)
    if soak == "reads":
        return tuple(steps)
    judged = [DataClass(dc) for dc in profile.stores] if soak == "takes" else _judged_classes(case_id, profile)
    asked = _observed_by_operator(profile, judged)
    if asked:
        steps.append(
            f"look at the unit and answer yes or no: does it show the previous / the new occupier's "
            f"{', '.join(asked)} (observe.<class> is by operator)"
        )
    return tuple(steps)


def make_plan(profile: Profile, order: list[tuple[str, bool]], *, soak: bool) -> Plan:
    from testcases.bench_time import ESTIMATES  # the cases' own windows, as the cases compute them

    # Virtual time on either simulated path: in-process (sim://) or a standalone emulator.
    simulated = profile.is_simulated or has_remote_simulation(profile)
    cases = []
    soak_taken = False  # the first soak case to run takes the shared soak (testcases/query_soak.py)
    for case_id, is_soak in order:
        why_not = not_applicable(case_id, profile)
        if why_not is None and is_soak and not simulated and not soak:
            why_not = SOAK_SKIP
        runs = why_not is None
        takes_soak = runs and is_soak and not soak_taken
        soak_taken = soak_taken or takes_soak
        cases.append(
            CasePlan(
                case_id=case_id,
                title=CASES[case_id].title,
                runs=runs,
                why_not=why_not,
                seconds=float(ESTIMATES[case_id](profile)) if runs else 0.0,
                soak=is_soak,
                operator_steps=_operator_steps(case_id, profile, "takes" if takes_soak else "reads" if is_soak else "")
                if runs
                else (),
            )
        )
    source = profile.source_path
    return Plan(str(source) if source else "", profile.identity_line(), simulated, soak, tuple(cases))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def plan_text(plan: Plan) -> str:
    lines = [
        f"cot-harness plan: {plan.device}",
        f"profile {plan.profile}" + (" (simulated: bench time is virtual)" if plan.simulated else ""),
        "",
        f"{'case':9} {'bench time':>10}  title",
    ]
    at = 0.0
    for case in plan.cases:
        if not case.runs:
            continue
        lines.append(f"{case.case_id:9} {_duration(case.seconds):>10}  {case.title}"[:150])
        for step in case.operator_steps:
            lines.append(f"{'':9} {'':>10}  operator, from +{_duration(at)}: {step}")
        at += case.seconds
    lines.append(f"{'total':9} {_duration(plan.total_seconds):>10}  ({plan.total_seconds:.0f} s of bench time)")
    skipped = [case for case in plan.cases if not case.runs]
    if skipped:
        lines += ["", "will not run:"]
        lines += [f"{case.case_id:9} {case.why_not}" for case in skipped]
    operator = sum(len(case.operator_steps) for case in plan.cases)
    lines += ["", f"{operator} operator step(s)" + ("" if operator else ": the run needs nobody at the bench")]
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.as_dict(), indent=2) + "\n"


def plan_command(profile_path: str | None, *, soak: bool, as_json: bool) -> int:
    """`cot-harness plan`: print the plan; a profile error is refused as `run` refuses it."""
    import sys

    from harness.cli import Exit
    from harness.profile import ProfileError
    from harness.profile.preflight import checked_profile
    from harness.reference_profiles import default_profile

    try:
        path = Path(profile_path) if profile_path else default_profile()
        profile = checked_profile(path)
    except ProfileError as error:
        for line in error.lines():
            print(line, file=sys.stderr)
        return int(Exit.PROFILE_ERROR)
    except OSError as error:
        print(f"profile error: {profile_path}: {error.strerror or error}", file=sys.stderr)
        return int(Exit.PROFILE_ERROR)
    try:
        order = run_order(path)
    except RuntimeError as error:
        print(f"cot-harness plan: {error}", file=sys.stderr)
        return int(Exit.INTERNAL_ERROR)
    plan = make_plan(profile, order, soak=soak)
    sys.stdout.write(plan_json(plan) if as_json else plan_text(plan))
    return 0
