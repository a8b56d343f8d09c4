"""Comparing two runs (typically one device on two firmware versions): which cases changed
verdict, which measurements moved, and what differs in the run environment.

A case is worse when its verdict moved down this ladder, best first:
    passed > not applicable / skipped > blocked / not run > broken > failed
"not applicable" ranks below passed on purpose: a case that passed and then stopped applying
is lost coverage, which the lab must see and explain (a profile change, say). `main_diff`
exits 1 when any case got worse, so a firmware upgrade can gate on it. An interrupted run
says so beside its folder: its unfinished case is broken and the cases it never reached are
"not run", both worse than passed.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.catalogue import CASES
from harness.evidence.measurements import Measurement
from harness.report.interruption import ENVIRONMENT_KEY
from harness.report.results import CaseResult, environment_of, measurements_of, read_cases
from harness.report.traceability import NOT_RUN

__all__ = ["CaseChange", "MeasurementShift", "RunDiff", "diff_runs", "format_diff", "main_diff"]

RANK = {
    "passed": 0,
    "not applicable": 1,
    "skipped": 1,
    "blocked": 2,
    NOT_RUN: 2,
    "unknown": 3,
    "broken": 3,
    "failed": 4,
}
_PARAMETER = re.compile(r"^(?P<name>.+) \((?P<unit>[^()]*)\)$")


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    a: str
    b: str

    @property
    def change(self) -> str:
        if self.a == self.b:
            return "same"
        ra, rb = RANK.get(self.a, 3), RANK.get(self.b, 3)
        return "WORSE" if rb > ra else "better" if rb < ra else "changed"


@dataclass(frozen=True)
class MeasurementShift:
    case_id: str
    name: str
    unit: str
    a: float | None
    b: float | None
    a_passed: bool | None = None  # None: no limits, or not measured in that run
    b_passed: bool | None = None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def relative(self) -> float | None:
        delta = self.delta
        if delta is None or self.a is None or self.a == 0:
            return None
        return delta / abs(self.a)


@dataclass
class RunDiff:
    run_a: Path
    run_b: Path
    cases: list[CaseChange] = field(default_factory=list)
    measurements: list[MeasurementShift] = field(default_factory=list)
    environment: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    interrupted_a: str | None = None  # the run's "run.interrupted" line, None for a complete run
    interrupted_b: str | None = None

    @property
    def regressions(self) -> list[CaseChange]:
        return [c for c in self.cases if c.change == "WORSE"]


def _measurements(alluredir: Path, case: CaseResult) -> dict[tuple[str, str], Measurement]:
    """From the JSON attachment when there is one (it carries limits), else from numeric Allure
    parameters named "name (unit)" as cases wrote them before measurements were recorded."""
    found: dict[tuple[str, str], Measurement] = {}
    for name, value in case.parameters.items():
        match = _PARAMETER.match(name)
        if match is None:
            continue
        try:
            number = float(value)
        except ValueError:
            continue  # "device" and other descriptive parameters
        found[(match["name"], match["unit"])] = Measurement(match["name"], number, match["unit"])
    for m in measurements_of(alluredir, case):
        found[(m.name, m.unit)] = m
    return found


def _value(m: Measurement | None) -> float | None:
    return None if m is None or math.isnan(m.value) else m.value


def _passed(m: Measurement | None) -> bool | None:
    return m.passed if m is not None and m.has_limits else None


def diff_runs(run_a: Path, run_b: Path) -> RunDiff:
    run_a, run_b = Path(run_a), Path(run_b)
    cases_a, cases_b = read_cases(run_a), read_cases(run_b)
    result = RunDiff(run_a, run_b)
    # The plan's order first, as in the traceability matrix.
    ids = [i for i in CASES if i in cases_a or i in cases_b]
    ids += sorted((set(cases_a) | set(cases_b)) - set(ids))
    for case_id in ids:
        ca, cb = cases_a.get(case_id), cases_b.get(case_id)
        result.cases.append(CaseChange(case_id, ca.verdict if ca else NOT_RUN, cb.verdict if cb else NOT_RUN))
        ma = _measurements(run_a, ca) if ca else {}
        mb = _measurements(run_b, cb) if cb else {}
        for key in sorted(set(ma) | set(mb)):
            a, b = ma.get(key), mb.get(key)
            result.measurements.append(
                MeasurementShift(case_id, key[0], key[1], _value(a), _value(b), _passed(a), _passed(b))
            )
    env_a, env_b = environment_of(run_a), environment_of(run_b)
    result.interrupted_a, result.interrupted_b = env_a.get(ENVIRONMENT_KEY), env_b.get(ENVIRONMENT_KEY)
    for key in sorted(set(env_a) | set(env_b)):
        if env_a.get(key) != env_b.get(key):
            result.environment.append((key, env_a.get(key), env_b.get(key)))
    return result


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _limit_verdict(passed: bool | None) -> str:
    return "" if passed is None else " (pass)" if passed else " (FAIL)"


def format_diff(d: RunDiff) -> str:
    out = [
        f"A: {d.run_a}" + (f" ({d.interrupted_a})" if d.interrupted_a else ""),
        f"B: {d.run_b}" + (f" ({d.interrupted_b})" if d.interrupted_b else ""),
        "",
        "Verdicts",
    ]
    out += _table(
        ("case", "A", "B", "change"),
        [[c.case_id, c.a, c.b, "" if c.change == "same" else c.change] for c in d.cases],
    )
    out += ["", "Measurements"]
    if d.measurements:
        rows = []
        for m in d.measurements:
            rel = "" if m.relative is None else f" ({m.relative:+.1%})"
            delta = "-" if m.delta is None else f"{m.delta:+.6g}{rel}"
            rows.append(
                [
                    m.case_id,
                    f"{m.name} ({m.unit})" if m.unit else m.name,
                    _num(m.a) + _limit_verdict(m.a_passed),
                    _num(m.b) + _limit_verdict(m.b_passed),
                    delta,
                ]
            )
        out += _table(("case", "measurement", "A", "B", "B - A"), rows)
    else:
        out.append("(none recorded)")
    out += ["", "Environment differences"]
    if d.environment:
        out += _table(("key", "A", "B"), [[k, a or "-", b or "-"] for k, a, b in d.environment])
    else:
        out.append("(none)")
    worse = d.regressions
    out += ["", f"{len(worse)} case(s) worse" + (": " + ", ".join(c.case_id for c in worse) if worse else "")]
    return "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="allure-results folder of the first run")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="allure-results folder of the second run")


def run_diff(args: argparse.Namespace) -> int:
    for run in (args.run_a, args.run_b):
        if not run.is_dir() or not any(run.glob("*-result.json")):
            print(f"cot-harness diff: {run}: not an allure-results folder", file=sys.stderr)
            return 2
    d = diff_runs(args.run_a, args.run_b)
    print(format_diff(d), end="")
    return 1 if d.regressions else 0


def main_diff(argv: Sequence[str] | None = None) -> int:
    """`cot-harness diff RUN_A RUN_B`: 0 when no case got worse, 1 when one did, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="cot-harness diff", description="compare two runs")
    add_arguments(parser)
    return run_diff(parser.parse_args(argv))
