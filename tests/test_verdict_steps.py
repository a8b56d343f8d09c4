"""Every verdict fails in its own Allure step.

An assessor reads a failed case's step list: the check that failed must be the step that is
red, titled with what was checked, holding the engineer's sentence. allure-pytest marks a
step failed only when the AssertionError leaves its `with allure.step(...)` block, so a
verdict judged after the block closed leaves the step green and the failure outside it.

The first test reads the suite's source (ast): every `assert`, and every `raise
AssertionError`, sits inside a `with allure.step(...)` of its own function, and every
`assert` says what failed (one without a message is type narrowing or a bench precondition,
which must be a BenchError: an AssertionError is counted as a device fault). The second runs
the suite for real on two fault variants and reads the Allure results back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.source_tree import parse
from tests.suite import conftest as suite
from tests.suite.allure_results import result_of
from tests.suite.conftest import REPO, SuiteRun

run_suite = suite.run_suite  # the suite's fixture: `cot-harness run` in a subprocess, results in tmp_path

TESTCASES = REPO / "testcases"
SIM_IHD = REPO / "device_profiles" / "sim-ihd.yaml"
REFERENCE_MODEL = "harness.sim.devices.ihd:ReferenceIHD"
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
# Names of helpers that open an Allure step themselves, used as `with helper(...)`: none yet.
STEP_HELPERS: frozenset[str] = frozenset()


def _opens_step(item: ast.withitem) -> bool:
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "step" and isinstance(func.value, ast.Name):
        return func.value.id == "allure"
    return isinstance(func, ast.Name) and func.id in STEP_HELPERS


def _in_step(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside a `with allure.step(...)` of the function it is in (a closure defined inside a
    step runs later, outside it: the enclosing function's step does not count)."""
    parent = parents.get(node)
    while parent is not None and not isinstance(parent, SCOPES):
        if isinstance(parent, ast.With | ast.AsyncWith) and any(_opens_step(i) for i in parent.items):
            return True
        parent = parents.get(parent)
    return False


def _raises_assertion_error(node: ast.Raise) -> bool:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "AssertionError"


def verdicts_outside_steps(path: Path, root: Path = REPO) -> list[str]:
    """file:line and what is wrong, for each verdict of `path` not judged inside its step."""
    tree = parse(path)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    where = path.relative_to(root)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            if node.msg is None:
                found.append((node.lineno, "assert without a message (a precondition is a BenchError)"))
            if not _in_step(node, parents):
                found.append((node.lineno, "assert outside a `with allure.step(...)`"))
        elif isinstance(node, ast.Raise) and _raises_assertion_error(node) and not _in_step(node, parents):
            found.append((node.lineno, "raise AssertionError outside a `with allure.step(...)`"))
    return [f"{where}:{line}: {what}" for line, what in sorted(found)]


def test_every_verdict_is_judged_inside_its_allure_step() -> None:
    modules = sorted(TESTCASES.rglob("*.py"))
    assert len(modules) >= 10, f"found only {modules} under {TESTCASES}"
    found = [line for path in modules for line in verdicts_outside_steps(path)]
    assert not found, "verdicts that would fail outside their Allure step:\n" + "\n".join(found)


def test_the_checker_sees_a_verdict_after_its_step(tmp_path: Path) -> None:
    """The checker itself can fail: an assert after the step, one in a closure defined in a
    step, a bare one and a raise outside are each named; one inside its step is not."""
    module = tmp_path / "testcases" / "test_example.py"
    module.parent.mkdir()
    module.write_text(
        "import allure\n"
        "def case(x):\n"
        "    with allure.step('x is one'):\n"
        "        assert x == 1, 'x is not one'\n"
        "        def later():\n"
        "            assert x, 'x'\n"
        "    assert x == 2, 'x is not two'\n"
        "    assert x is not None\n"
        "    raise AssertionError('no')\n"
    )
    found = verdicts_outside_steps(module, tmp_path)
    assert [line.split(": ", 1)[0] for line in found] == [f"testcases/test_example.py:{n}" for n in (6, 7, 8, 8, 9)], (
        found
    )


# A fault variant and the case that catches it (harness/sim/variants/ list them).
FAILING_CASES = [
    pytest.param("harness.sim.variants.clearing:KeepsSupplierMessages", "CLR-04", id="CLR-04"),
    pytest.param("harness.sim.variants.device_management:NoDefaultResponseToCot", "DM-01", id="DM-01"),
]


def _sentence(message: str) -> str:
    """The AssertionError's sentence of a case's status message: its first line, without
    the exception's name (pytest adds its own explanation on the lines after)."""
    return message.strip().splitlines()[0].removeprefix("AssertionError: ").strip()


@pytest.mark.parametrize(("model", "case_id"), FAILING_CASES)
def test_the_failed_check_is_the_red_step(run_suite: SuiteRun, tmp_path: Path, model: str, case_id: str) -> None:
    profile = tmp_path / "variant.yaml"
    text = SIM_IHD.read_text()
    assert REFERENCE_MODEL in text, f"{SIM_IHD} no longer names {REFERENCE_MODEL}"
    profile.write_text(text.replace(REFERENCE_MODEL, model))
    done = run_suite(profile, "--", "-k", case_id)
    assert done.returncode != 0, "a failing case must make the run exit non-zero:\n" + done.stdout[-3000:]
    result = result_of(tmp_path / "allure-results", case_id)
    assert result["status"] == "failed", (result["status"], result.get("statusDetails"))
    sentence = _sentence(result["statusDetails"]["message"])
    assert len(sentence) > 40, f"the case's message is no engineer's sentence: {sentence!r}"
    top = result.get("steps", [])
    listing = "\n".join(f"{step['status']:8} {step['name']}" for step in top)
    failed = [step for step in top if step["status"] == "failed"]
    assert len(failed) == 1, f"{case_id}: expected exactly one failed top-level step:\n{listing}"
    assert top[-1] is failed[0], f"{case_id}: the failed step is not the last one:\n{listing}"
    assert all(step["status"] == "passed" for step in top[:-1]), f"{case_id}: a step before it did not pass:\n{listing}"
    step_message = (failed[0].get("statusDetails") or {}).get("message", "")
    assert sentence in step_message, (
        f"{case_id}: the failed step {failed[0]['name']!r} does not hold the case's sentence {sentence!r}; "
        f"it says {step_message!r}"
    )
