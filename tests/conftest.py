"""Session fixtures shared across the harness's own tests: the selftest's runs of the
reference devices and of the fault variants, each made once per session.

The fault variants' runs are `cot-harness selftest`'s, which CI runs after this suite
(tests/suite/test_selftest.py says why they are not run here as well).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.scratch import keep_work_folder, make_work_folder
from harness.selftest import Outcome, entries, run_chosen
from tests.report.report_runs import VARIANT, CliRun, run_suite

# The session's shared runs are made once per worker that needs them: under pytest-xdist
# (`-n 2 --dist loadgroup`, the README's test command) every test that reads them runs on
# one worker, so the reference runs are not made twice.


def _bytecode_for_the_tests_own_processes() -> None:
    """Let the ~45 fresh interpreters the tests start (`cot-harness run`, the selftest's
    templates, zigpy-znp's and zigpy-cli's tools) keep their compiled bytecode, outside the
    source tree. A machine that sets PYTHONDONTWRITEBYTECODE (this one does) makes every such
    process compile the harness and rewrite the suite again: ~0.5 s of CPU of a
    `cot-harness run`'s ~2.7 s (docs/performance.md). PYTHONPYCACHEPREFIX puts the cache
    under the temporary directory, never beside the sources (pytest's rewritten case
    modules too), so the tree a test checks stays as it is. A prefix the caller chose is kept."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        os.environ.pop("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / f"cot-harness-pycache-{os.getuid()}")


_bytecode_for_the_tests_own_processes()

SHARED_RUNS = frozenset({"reference_outcomes", "reference_runs"})
GROUP = "shared-runs"
# The other session runs, each a `cot-harness run` of a few seconds (tests/report/conftest.py):
# made on every worker a test reading them landed on, as the shared runs were. Their own
# group, so that worker is free to be another than the shared runs' one.
REPORT_RUNS = frozenset({"reference_run", "variant_run", "secret_run", "reference_cli_run", "variant_cli_run"})
# The determinism tests' rounds (tests/suite/test_determinism.py): three templates' runs,
# made once for the module's tests, so they too stay on one worker.
DETERMINISM_RUNS = frozenset({"determinism_rounds"})
# The meter tests' runs (tests/suite/test_meters.py meter_runs): one template's, likewise.
METER_RUNS = frozenset({"meter_runs"})
GROUPS = (
    (SHARED_RUNS, GROUP),
    (REPORT_RUNS, "report-runs"),
    (DETERMINISM_RUNS, "determinism-runs"),
    (METER_RUNS, "meter-runs"),
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        group = next((name for fixtures, name in GROUPS if fixtures & used), None)
        if group is None:
            continue
        item.add_marker(pytest.mark.xdist_group(group))
        if config.getoption("loadgroup", default=False):
            _suffix_group(item, group)


def _suffix_group(item: pytest.Item, group: str) -> None:
    """Give the test the "@group" ID suffix pytest-xdist's loadgroup schedules by.

    pytest-xdist 3.8 writes the suffix into item._nodeid, which pytest 9.2 no longer reads
    (a test's ID is the structured item._id): every mark was silently ignored, the tests
    reading the shared runs were spread over both workers, and each worker made the
    reference runs again (pytest-xdist issue 1386, its fix in pull request 1388, not yet
    released). The same suffix, written where this pytest keeps the ID (only the ID's text
    changes, its path, names and parameters stay); a pytest that still reads _nodeid gets it
    from xdist itself (tryfirst: this runs before xdist's hook, which then adds nothing new
    to the group name, the part after the last "@")."""
    structured = getattr(item, "_id", None)
    if structured is None or not dataclasses.is_dataclass(structured):
        return
    grouped = dataclasses.replace(structured)
    object.__setattr__(grouped, "_str_cache", f"{item.nodeid}@{group}")
    item._id = grouped  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def matrix_folder(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Where the session's matrix runs write, as `cot-harness selftest`'s do (harness/scratch.py:
    in memory when the machine has room): removed at the session's end when every test
    passed, else kept on disk and named, for whoever reads the failure next."""
    root = make_work_folder("cot-tests-matrix-")
    yield root
    if request.session.testsfailed:
        print(f"\nthe matrix runs' results are kept in {keep_work_folder(root)}")
    else:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def reference_outcomes(matrix_folder: Path) -> list[Outcome]:
    """Every reference device's whole-suite run, as `cot-harness selftest` makes it."""
    chosen = [entry for entry in entries() if entry.spec is None]
    (workdir := matrix_folder / "references").mkdir()
    return run_chosen(chosen, [], jobs=2, workdir=workdir, progress=lambda _line: None)


@pytest.fixture(scope="session")
def reference_cli_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`cot-harness run` of the reference IHD as a lab starts it, made once a session: the
    report tests read its results (tests/report/conftest.py reference_run), the suite's tests
    its exit status and verdicts (test_fault_variant, test_operator_pty). Read-only: a test
    that changes files works on a copy (copy_run)."""
    alluredir = tmp_path_factory.mktemp("reference") / "allure-results"
    return CliRun(run_suite(alluredir), alluredir)


@pytest.fixture(scope="session")
def variant_cli_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`cot-harness run` of the fault variant that keeps consumption history (CLR-01 fails),
    made once a session: the report tests' variant_run, and test_fault_variant's."""
    alluredir = tmp_path_factory.mktemp("variant") / "allure-results"
    return CliRun(run_suite(alluredir, VARIANT), alluredir)
