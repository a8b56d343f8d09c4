"""The Allure results shaped for an assessor, as allure-pytest hands them to its file writer.

allure-pytest writes what pytest sees: a case named after its test function
(`test_clr_clears[CLR-04]`), the function's docstring as its description, every fixture as a
Set up / Tear down step (`_bench_session`, `profile::<lambda>`), and pytest's long traceback
with the repr of every argument. An assessor reads none of that. This module is an
allure-commons plugin (the `report_result` / `report_container` hooks allure-commons calls just
before the file is written) that gives each case, from the catalogue (harness.catalogue):
- its title (`CLR-04 The previous occupier's supplier messages are gone after the CoT`), its
  requirement and the device and bench as its description, and its catalogue section as its
  suite, so the report's tree reads like the conformance plan;
- the engineer's sentence as its status message (without Python's "AssertionError: "), and a
  short traceback (file, line, source line; no argument reprs) kept in the trace, which the
  report folds away;
- only the fixtures that say something: a fixture that passed with no attachment and no step is
  dropped; one that failed, or carries evidence, stays.
Verdicts are never touched: status is allure-pytest's, the catalogue only names things.
"""

from __future__ import annotations

import dataclasses
import hashlib
import traceback
from collections.abc import Iterable
from pathlib import Path

from allure_commons import hookimpl
from allure_commons.model2 import Label, Status, TestResult, TestResultContainer

from harness.catalogue import CASES

__all__ = ["ASSERTION_PREFIX", "AssessorView", "RunFacts", "sentence", "short_trace"]

ASSERTION_PREFIX = "AssertionError: "
# pytest's and allure-pytest's labels about the Python process, not the device: the
# environment of the run already says which harness and interpreter ran.
_PROCESS_LABELS = frozenset({"thread", "framework", "language", "package", "parentSuite", "suite", "subSuite"})
_SHOWN_STATUSES = frozenset({Status.FAILED, Status.BROKEN})
PLAN = "Change of Tenancy conformance"


@dataclasses.dataclass(frozen=True)
class RunFacts:
    """What every case's description says about the run besides its requirement."""

    device: str  # the profile's identity line
    bench: str  # "emulated: ..." or "hardware: ..." (harness.report.run_info.bench_line)


def _label(result: TestResult, name: str) -> str | None:
    return next((label.value for label in result.labels if label.name == name), None)


def _description(case_id: str, facts: RunFacts) -> str:
    spec = CASES[case_id]
    # Markdown: Allure renders it on the case's first screen, above the steps.
    return (
        f"**Requirement:** {spec.requirement}\n\n"
        f"**Device:** {facts.device}\n\n"
        f"**Bench:** {facts.bench}\n\n"
        "The steps below are the case as it ran; the check that failed is the step marked failed. "
        "The case's frames are attached to it: as a pcapng capture (Wireshark), a sequence chart "
        "and a text trace, with its measurements."
    )


def _worth_showing(fixture: object) -> bool:
    """A fixture step an assessor needs: it failed, or it carries evidence."""
    return (
        getattr(fixture, "status", None) in _SHOWN_STATUSES
        or bool(getattr(fixture, "attachments", None))
        or bool(getattr(fixture, "steps", None))
    )


_ROOT = Path(__file__).resolve().parents[2]  # the folder holding harness/ and testcases/
# The pytest hook wrappers every failure passes through: how it was run, not where it failed.
_PLUMBING = ("harness/plugin.py", "harness/interrupts.py")


def short_trace(error: BaseException) -> str:
    """Where the failure happened in the cases and the harness: one "file:line in function"
    and its source line per frame, without pytest's and pluggy's frames or argument reprs."""
    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if not path.is_relative_to(_ROOT) or ".venv" in path.parts or "site-packages" in path.parts:
            continue
        where = path.relative_to(_ROOT).as_posix()
        if where.startswith(_PLUMBING):
            continue
        lines.append(f"{where}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line}")
    last = "".join(traceback.format_exception_only(error)).rstrip()
    lines.append(ASSERTION_PREFIX + sentence(last) if last.startswith(ASSERTION_PREFIX) else last)
    return "\n".join(lines)


def sentence(message: str) -> str:
    """The engineer's sentence of an assertion: without Python's "AssertionError: " and
    without pytest's introspection after it ("assert None is not None / + where None =
    Clearing(...)": the repr of internal objects, which says nothing to an assessor)."""
    if not message.startswith(ASSERTION_PREFIX):
        return message
    lines = message.removeprefix(ASSERTION_PREFIX).splitlines()
    cut = next((i for i, line in enumerate(lines) if i > 0 and line.startswith("assert ")), len(lines))
    return "\n".join(lines[:cut]).strip()


def _plain_messages(steps: Iterable[object]) -> None:
    """A failed step's message as the case's (the report then shows the case's error inside
    the step that failed, where the two are the same)."""
    for step in steps:
        details = getattr(step, "statusDetails", None)
        if details is not None and details.message:
            details.message = sentence(details.message)
        _plain_messages(getattr(step, "steps", None) or [])


def _unquoted(value: str | None) -> str | None:
    # allure.dynamic.parameter shows a str as its repr ('...'): a name needs no quotes.
    if value and len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


class AssessorView:
    """Registered with allure-commons' plugin manager for the session (harness.plugin)."""

    def __init__(self, facts: RunFacts) -> None:
        self.facts = facts
        self._short_traces: dict[str, str] = {}  # case ID -> the short traceback of its failure
        self._pytest_params: dict[str, set[str]] = {}  # case ID -> its pytest parametrize names

    def failure(self, case_id: str, error: BaseException) -> None:
        """The case's failure (the plugin's makereport hook): its short traceback is kept."""
        self._short_traces[case_id] = short_trace(error)

    def parametrized(self, case_id: str, names: Iterable[str]) -> None:
        """pytest's parametrize names of a case: the case ID already says which one it is."""
        self._pytest_params[case_id] = set(names)

    @hookimpl(tryfirst=True)  # before allure-commons' file logger writes the result
    def report_result(self, result: TestResult) -> None:
        case_id = _label(result, "as_id")
        if case_id not in CASES:
            return
        spec = CASES[case_id]
        result.name = f"{case_id} {spec.title}"
        # The case ID is the test case: Allure 3 keys a result's history on testCaseId and its
        # parameters, so CLR-01..04 (one pytest function) must not look like retries of one.
        result.testCaseId = hashlib.md5(f"cot-harness {case_id}".encode()).hexdigest()
        result.description = _description(case_id, self.facts)
        result.descriptionHtml = None
        result.labels = [label for label in result.labels if label.name not in _PROCESS_LABELS]
        result.labels += [Label(name="parentSuite", value=PLAN), Label(name="suite", value=spec.section)]
        hidden = self._pytest_params.get(case_id, set())
        result.parameters = [p for p in result.parameters if p.name not in hidden]
        for parameter in result.parameters:
            parameter.value = _unquoted(parameter.value)
        _plain_messages(result.steps)
        details = result.statusDetails
        if details is not None and result.status in _SHOWN_STATUSES:
            if details.message:
                details.message = sentence(details.message)
            short = self._short_traces.get(case_id)
            if short:
                details.trace = short

    @hookimpl(tryfirst=True)
    def report_container(self, container: TestResultContainer) -> None:
        container.befores = [fixture for fixture in container.befores if _worth_showing(fixture)]
        container.afters = [fixture for fixture in container.afters if _worth_showing(fixture)]
