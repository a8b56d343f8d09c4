"""The fault-variant matrix, as `cot-harness selftest` runs it: every case proven.

The references' whole-suite runs are judged here (the session's, which the wire, report and
formed-stick tests read too). The variants' runs are the selftest's own work and run there,
not here as well: CI runs `cot-harness selftest` after this test suite (each variant through
the cases that must catch it, as a lab runs it), and fails on any escape. The whole-suite
proof (`--full`) is run before landing a change to the cases, the variants or the simulation
(CONTRIBUTING.md): on every push it would take CI past its 15 minutes on a slow host. Run in
this suite too, the matrix was about 45 s of both cores of its ~225 s, the same runs CI made
again in `selftest`.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.catalogue import CASES
from harness.selftest import Outcome, format_matrix
from harness.sim.matrix import MATRIX, REFERENCES

CI_RUN = Path(__file__).resolve().parents[2] / ".ci" / "run"


def test_every_case_is_proven_by_a_variant() -> None:
    proven = set().union(*(spec.failed for spec in MATRIX))
    bench_only = {"BENCH-01"}  # a bench case: its variant (a unit that never joins) is broken, by design
    assert set(CASES) - proven == bench_only
    assert any("BENCH-01" in spec.broken for spec in MATRIX)


def test_every_reference_device_is_clean(reference_outcomes: list[Outcome]) -> None:
    assert len(reference_outcomes) == len(REFERENCES), "every reference device ran"
    problems = [f"{o.entry.name}: {p}" for o in reference_outcomes for p in o.problems]
    assert not problems, "\n" + format_matrix(reference_outcomes)


def test_ci_runs_the_whole_matrix() -> None:
    """The variants' proof left this suite for the selftest: CI must still make it, over the
    whole matrix (not --mutants instead), and it may not be filtered down (--only) or made to
    pass (|| true)."""
    commands = [line.strip() for line in CI_RUN.read_text().splitlines() if line.strip().startswith("cot-harness")]
    selftests = [command for command in commands if re.match(r"cot-harness selftest\b", command)]
    assert any("--mutants" not in command.split() for command in selftests), commands
    for command in selftests:
        assert "--only" not in command and "||" not in command, command
    assert "set -euo pipefail" in CI_RUN.read_text()
