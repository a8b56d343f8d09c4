"""BENCH-01 asks a joined unit up to PING_TRIES times whether it answers: one frame lost on a
noisy air must not end a lab's whole run broken, and a unit that never answers still does."""

from __future__ import annotations

from pathlib import Path

from harness.selftest import Entry, run_entries
from testcases.test_01_bench import PING_TRIES

LATE = Entry(
    "ping MissesTheFirstPing",
    "sim-ihd.yaml",
    "tests.suite.slow_to_answer:MissesTheFirstPing",
    None,
    frozenset({"BENCH-01"}),
)
NEVER = Entry(
    "ping NeverAnswersBasic",
    "sim-ihd.yaml",
    "tests.suite.slow_to_answer:NeverAnswersBasic",
    None,
    frozenset({"BENCH-01"}),
)


def test_a_lost_ping_is_asked_again_and_a_silent_unit_is_still_broken(tmp_path: Path) -> None:
    assert PING_TRIES > 1
    outcomes = {o.entry.name: o for o in run_entries([LATE, NEVER], tmp_path, [], jobs=2)}
    late, never = outcomes[LATE.name], outcomes[NEVER.name]
    assert late.verdicts == {"BENCH-01": "passed"}, late.output[-3000:]
    assert never.verdicts == {"BENCH-01": "broken"}, never.output[-3000:]
    assert f"does not answer Read Attributes within response_timeout ({PING_TRIES} tries)" in never.output
