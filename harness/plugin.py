"""The pytest plugin: options, the session bench, case labels, evidence and verdicts.

Registered through the `pytest11` entry point. A profile error stops the run before any
radio is opened; a bench error while starting breaks the first case and blocks the rest
(skipped, not failed); a case not applicable to the profile is skipped naming the field.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import CASES
from harness.errors import BenchError, FatalBenchError
from harness.evidence import case_evidence
from harness.profile import Profile, ProfileError, load_profile
from harness.report.cli import finish_run

DEFAULT_PROFILE = Path("device_profiles/sim-ihd.yaml")
_FATAL = pytest.StashKey[BaseException]()
_PROFILE = pytest.StashKey[Profile]()
_COORDINATOR = pytest.StashKey[dict[str, str]]()
_VERDICTS = pytest.StashKey[dict[str, tuple[str, str]]]()
EXIT_SECRET_IN_EVIDENCE = 6


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cot-harness", "GB Change of Tenancy conformance")
    group.addoption(
        "--profile",
        default=os.environ.get("COT_PROFILE"),
        help="device profile YAML (default: device_profiles/sim-ihd.yaml)",
    )
    group.addoption(
        "--sim-transport",
        choices=("tcp", "pty"),
        default="tcp",
        help="how zigpy-znp reaches the emulated coordinator (simulation only)",
    )
    group.addoption(
        "--air",
        default=None,
        help="simulation only: air faults for this run, e.g. loss=0.1,jitter=200ms,duplicate=0.05 "
        "(overrides the profile's simulation.air)",
    )
    group.addoption("--air-seed", type=int, default=None, help="simulation only: seed of the air's faults")
    group.addoption(
        "--soak",
        action="store_true",
        help="on hardware, also run soak cases (days of observation; always run in simulation)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "case(case_id): a conformance case of harness.catalogue")
    config.addinivalue_line("markers", "soak: needs days of observation on hardware (virtual time in simulation)")


def _profile(config: pytest.Config) -> Profile:
    if _PROFILE not in config.stash:
        path = config.getoption("--profile") or DEFAULT_PROFILE
        try:
            config.stash[_PROFILE] = load_profile(path)
        except ProfileError as error:
            pytest.exit(f"profile error: {error}", returncode=4)
    return config.stash[_PROFILE]


@pytest.hookimpl(tryfirst=True)  # before -k deselects: a case ID selects its case
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    cases = [(item, item.get_closest_marker("case")) for item in items]
    for item, marker in cases:
        if marker is not None:
            item.extra_keyword_matches.add(marker.args[0])
    if any(marker is not None for _item, marker in cases):
        _profile(config)  # a bad profile stops the run here, before any radio is opened


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return _profile(pytestconfig)


@pytest.fixture(scope="session")
def _bench_session(pytestconfig: pytest.Config, profile: Profile) -> Iterator[Bench]:
    try:
        the_bench = Bench(
            profile,
            sim_transport=pytestconfig.getoption("--sim-transport"),
            air=pytestconfig.getoption("--air"),
            air_seed=pytestconfig.getoption("--air-seed"),
        )
    except BaseException as error:
        pytestconfig.stash[_FATAL] = error
        raise
    the_bench.alluredir = pytestconfig.getoption("--alluredir", None)
    the_bench.soak = pytestconfig.getoption("--soak")
    captures = case_evidence.capture_dir(the_bench)
    for stale in (captures, captures.parent / "traceability"):
        shutil.rmtree(stale, ignore_errors=True)  # a run's evidence is this run's only
    try:
        the_bench.start()
    except BaseException as error:
        pytestconfig.stash[_FATAL] = error
        the_bench.stop()
        raise
    assert the_bench.coordinator is not None
    coordinator = the_bench.loop.call_on_loop(the_bench.coordinator.network_summary)
    coordinator.update(the_bench.han.environment())
    pytestconfig.stash[_COORDINATOR] = coordinator
    yield the_bench
    the_bench.stop()


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> Bench:
    """The session's bench. Function-scoped so that once the bench has failed, later cases
    are skipped as blocked instead of each repeating the same bench error."""
    fatal = request.config.stash.get(_FATAL, None)
    if fatal is not None:
        pytest.skip(f"blocked: the bench failed before this case ({type(fatal).__name__}: {fatal})")
    return request.getfixturevalue("_bench_session")


@pytest.fixture(autouse=True)
def conformance_case(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("case")
    if marker is None:
        yield
        return
    spec = CASES[marker.args[0]]
    profile = _profile(request.config)
    allure.dynamic.label("as_id", spec.case_id)
    allure.dynamic.testcase(spec.case_id, spec.case_id)
    allure.dynamic.title(f"{spec.case_id} {spec.title}")
    allure.dynamic.severity(spec.severity.value)
    allure.dynamic.label("requirement", spec.requirement)
    allure.dynamic.feature(spec.section)
    allure.dynamic.description(f"Requirement: {spec.requirement}\n\nDevice: {profile.identity_line()}")
    # The device is a parameter so results of different devices never merge in Allure.
    allure.dynamic.parameter("device", profile.identity_line())
    fatal = request.config.stash.get(_FATAL, None)
    if fatal is not None:
        pytest.skip(f"blocked: the bench failed before this case ({type(fatal).__name__}: {fatal})")
    bench: Bench = request.getfixturevalue("bench")
    mark = bench.link.mark()
    case_evidence.begin_case()
    try:
        yield
    finally:
        case_evidence.end_case(bench, mark, spec.case_id)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    _record_verdict(item, report)
    if call.excinfo is not None and call.excinfo.errisinstance(FatalBenchError):
        # Every remaining case is blocked (skipped), not failed: the bench is unusable.
        item.config.stash[_FATAL] = call.excinfo.value
    return report


def _record_verdict(item: pytest.Item, report: pytest.TestReport) -> None:
    """Collect each case's verdict and reason for the lab-facing summary."""
    marker = item.get_closest_marker("case")
    if marker is None:
        return
    case_id = marker.args[0]
    verdicts = item.config.stash.setdefault(_VERDICTS, {})
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        verdicts[case_id] = ("skipped", reason.removeprefix("Skipped: "))
    elif report.failed:
        kind = "failed" if report.when == "call" and _is_assertion(report) else "broken"
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else report.longreprtext
        verdicts[case_id] = (kind, message.strip().splitlines()[0] if message.strip() else "")
    elif report.when == "call" and case_id not in verdicts:
        verdicts[case_id] = ("passed", "")


def _is_assertion(report: pytest.TestReport) -> bool:
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash is not None and crash.message.startswith("AssertionError")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    verdicts = config.stash.get(_VERDICTS, {})
    if not verdicts:
        return
    terminalreporter.section("cot-harness verdicts")
    for case_id in CASES:
        if case_id in verdicts:
            verdict, reason = verdicts[case_id]
            terminalreporter.write_line(f"{case_id:9} {verdict:8} {reason}"[:200])


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Run-level evidence: environment, traceability, manifest, and a scan for secrets."""
    config = session.config
    alluredir = config.getoption("--alluredir", None)
    if not alluredir or _PROFILE not in config.stash or not any(Path(alluredir).glob("*-result.json")):
        return
    try:
        summary = finish_run(Path(alluredir), config.stash[_PROFILE], config.stash.get(_COORDINATOR, None))
    except OSError as error:
        print(f"cot-harness: run evidence not written: {error}")
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    write(f"cot-harness: evidence manifest {summary['manifest']} ({summary['files']} files)")
    for finding in summary["secret_findings"][:20]:
        write(f"cot-harness: SECRET IN EVIDENCE, do not hand this folder out: {finding}")
    if not summary["clean"]:
        session.exitstatus = EXIT_SECRET_IN_EVIDENCE


def applies(condition: bool, field: str, why: str) -> None:
    """Skip as not applicable, naming the profile field that decides it."""
    if not condition:
        pytest.skip(f"not applicable: {field} {why}")


__all__ = ["BenchError", "applies"]
