"""The mutants are well formed, and a sample of them is scored as the whole run scores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import mutation
from harness.catalogue import CASES
from harness.sim import mutants
from harness.sim.mutants import BASES, MUTATIONS, OPERATORS, Mutation


@pytest.mark.parametrize("m", MUTATIONS, ids=lambda m: m.name)
def test_each_mutation_names_a_real_hook_and_the_cases_it_breaks(m: Mutation) -> None:
    assert hasattr(BASES[m.profile], m.hook), f"{m.hook} is not a hook of {BASES[m.profile].__name__}"
    assert m.operator in OPERATORS or m.operator == "attribute"
    assert set(m.breaks) <= set(CASES), f"unknown case IDs in {m.breaks}"
    assert bool(m.breaks) != bool(m.equivalent), "a mutation breaks some requirement, or says why it is equivalent"
    assert getattr(mutants, m.name).__module__ == "harness.sim.mutants"  # loadable as module:Class


def test_the_score_of_a_verdict_set() -> None:
    m = Mutation("clear", "skip", mutants.IHD, ("CLR-01",))
    assert mutation.score(m, {"CLR-01": "failed", "DM-01": "passed"}) == mutation.CAUGHT
    assert mutation.score(m, {"CLR-01": "passed", "NEG-02": "failed"}) == mutation.ELSEWHERE
    assert mutation.score(m, {"CLR-01": "passed", "NEG-01": "broken"}) == mutation.INCONCLUSIVE
    assert mutation.score(m, {"CLR-01": "passed", "CLR-02": "skipped"}) == mutation.SURVIVED


def test_a_sample_of_mutants_is_caught_where_expected(tmp_path: Path) -> None:
    scored = mutation.run(
        ["ReferenceIHD_clear_delay", "default_response_wrong_tsn"], jobs=2, progress=lambda _: None, workdir=tmp_path
    )
    assert len(scored) == 2
    for s in scored:
        assert s.score == mutation.CAUGHT, (s.mutation.name, s.verdicts)
