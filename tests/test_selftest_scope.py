"""What a selftest run covers: a reference the whole suite, a variant only the cases that
must catch it (unless --full), selected as a lab selects cases (-k CLR-01)."""

from __future__ import annotations

from pathlib import Path

from harness.catalogue import CASES
from harness.selftest import WHOLE_SUITE, Entry, entries, judge, pytest_args
from harness.sim.matrix import MATRIX


def test_a_reference_runs_everything_and_a_variant_only_the_cases_that_judge_it() -> None:
    found = entries()
    assert all(e.cases is None for e in found if e.spec is None)
    variants = [e for e in found if e.spec is not None]
    assert len(variants) == len(MATRIX)
    for entry in variants:
        assert entry.spec is not None
        assert entry.cases == (entry.spec.failed or entry.spec.broken), entry.name
        assert entry.cases and entry.cases <= set(CASES), entry.name
    # --full: both proofs in one matrix, each variant selected and whole, each reference once
    full = entries(full=True)
    assert [e for e in full if not e.name.endswith(WHOLE_SUITE)] == found
    whole = [e for e in full if e.name.endswith(WHOLE_SUITE)]
    assert len(whole) == len(MATRIX) and all(e.cases is None and e.spec is not None for e in whole)
    assert len({e.name for e in full}) == len(full)


def test_the_selection_is_a_k_expression_of_the_case_ids(tmp_path: Path) -> None:
    entry = next(e for e in entries() if e.name == "KeepsConsumptionHistory")
    args, _folder = pytest_args(entry, tmp_path, [])
    assert entry.cases is not None
    assert args[args.index("-k") + 1] == " or ".join(sorted(entry.cases))
    whole = next(e for e in entries(full=True) if e.name == "KeepsConsumptionHistory" + WHOLE_SUITE)
    assert "-k" not in pytest_args(whole, tmp_path, [])[0]


def test_no_case_id_is_part_of_another() -> None:
    # pytest's -k matches a word within a keyword: CLR-0 would select CLR-01..08
    for one in CASES:
        assert not [other for other in CASES if other != one and one.lower() in other.lower()], one


def test_a_selected_run_is_judged_on_its_cases_and_nothing_else() -> None:
    spec = next(s for s in MATRIX if s.model.__name__ == "KeepsConsumptionHistory")
    entry = Entry("KeepsConsumptionHistory", spec.profile, spec.reference, spec, spec.judged_by)
    caught = dict.fromkeys(spec.failed, "failed")
    assert judge(entry, caught) == []
    assert judge(entry, {**caught, "DM-01": "passed"}) == [
        f"ran outside its selection {sorted(spec.failed)}: ['DM-01']"
    ]
    one = sorted(spec.failed)[0]
    problems = judge(entry, {**caught, one: "passed"})
    assert f"ESCAPED: {one} passed on a device that breaks its rule" in problems
    missing = {case: v for case, v in caught.items() if case != one}
    assert judge(entry, missing) == [f"no verdict for {[one]}"]
    whole = Entry("KeepsConsumptionHistory", spec.profile, spec.reference, spec)
    assert any(p.startswith("no verdict for") for p in judge(whole, caught))  # --full: every case


def test_a_selected_run_collects_only_the_modules_its_cases_are_in(tmp_path: Path) -> None:
    import importlib

    import testcases
    from harness.selftest import _suite_modules, case_modules, only_their_modules

    for name in _suite_modules():
        importlib.import_module(name)
    homes = case_modules()
    assert set(homes) == set(CASES)  # every case found in its module, CLR-01..04 from their parameters
    suite = Path(testcases.__file__).parent
    assert homes["CLR-01"] == homes["CLR-08"] == suite / "test_03_clearing.py"
    assert homes["POLL-04"] == suite / "test_05_query.py"
    entry = next(e for e in entries() if e.name == "KeepsConsumptionHistory")
    args, _folder = pytest_args(entry, tmp_path, [])
    assert entry.cases is not None
    narrowed = only_their_modules(args, sorted(entry.cases), homes)
    modules = narrowed[: len(narrowed) - len(args) + 1]
    assert modules == sorted({str(homes[c]) for c in entry.cases}, key=lambda p: Path(p).name)
    assert narrowed[len(modules) :] == args[1:]  # -k and the rest unchanged: it still selects within them
    # In the folder's order (pytest's), whatever order the cases come in.
    two = only_their_modules([str(suite), "-q"], ["SEC-03", "CLR-01"], homes)
    assert two == [str(suite / "test_03_clearing.py"), str(suite / "test_07b_security.py"), "-q"]
    # A reference (no selection) and a case no module is known for keep the whole folder.
    assert only_their_modules([str(suite), "-q"], [], homes) == [str(suite), "-q"]
    assert only_their_modules([str(suite), "-q"], ["CLR-01", "XX-99"], homes) == [str(suite), "-q"]
