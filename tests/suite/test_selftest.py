"""The fault-variant matrix, as `cot-harness selftest` runs it: every case proven."""

from __future__ import annotations

from harness.catalogue import CASES
from harness.selftest import Outcome, format_matrix
from harness.sim.matrix import MATRIX, REFERENCES


def test_every_case_is_proven_by_a_variant() -> None:
    proven = set().union(*(spec.failed for spec in MATRIX))
    bench_only = {"BENCH-01"}  # a bench case: its variant (a unit that never joins) is broken, by design
    assert set(CASES) - proven == bench_only
    assert any("BENCH-01" in spec.broken for spec in MATRIX)


def test_matrix_every_variant_caught_and_references_clean(matrix_outcomes: list[Outcome]) -> None:
    outcomes = matrix_outcomes
    assert len(outcomes) == len(MATRIX) + len(REFERENCES), "every variant and every reference device ran"
    problems = [f"{o.entry.name}: {p}" for o in outcomes for p in o.problems]
    assert not problems, "\n" + format_matrix(outcomes)
