"""SEC-05 and SEC-06 judge a step of a provoked key establishment that comes after the
provocation returns (it returns once the exchange has begun): over an air that delays frames
(jitter: the later steps wait on the virtual clock), the case must wait for the trust centre's
step, not look once and call the bench broken ("the trust centre never sent ...")."""

from __future__ import annotations

from pathlib import Path

from harness.selftest import Entry, run_entries

JITTER = ["--air", "jitter=200ms", "--air-seed", "1"]


def test_the_provoked_exchanges_are_judged_over_a_jittery_air(tmp_path: Path) -> None:
    entry = Entry("provoked over jitter", "sim-ihd-cbke.yaml", None, None, frozenset({"SEC-05", "SEC-06"}))
    (outcome,) = run_entries([entry], tmp_path, JITTER, jobs=1)
    assert outcome.verdicts == {"SEC-05": "passed", "SEC-06": "passed"}, outcome.output[-3000:]
    assert not outcome.problems, outcome.problems
