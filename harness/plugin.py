"""The pytest plugin: options, the session bench, case labels, evidence and verdicts.

Registered through the `pytest11` entry point. A profile error stops the run before any
radio is opened; a bench error while starting breaks the first case and blocks the rest
(skipped, not failed); a case not applicable to the profile is skipped naming the field.

An interrupted run (Ctrl-C, or SIGTERM, which the session turns into the same
KeyboardInterrupt) never records an unfinished case as passed. pytest re-raises a
KeyboardInterrupt without reporting the phase it hit, and allure-pytest then writes the
case with the status of its last report: passed, from its setup. So the phase wrappers
below turn the first interrupt inside a case into RunInterrupted (an Exception: reported,
broken in Allure), stop the session after that case (its teardown still attaches the
evidence and stops the bench), and the cases not reached are listed as not run. The
run-level evidence is written as for any run, saying where it stopped; pytest exits 2.
While it stops, one more signal only waits; the one after abandons the run (harness.interrupts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import allure
import allure_commons
import pytest

from harness import case_record
from harness.applicability import not_applicable
from harness.bench import Bench
from harness.bench.security import UnitNotSecured
from harness.case_record import BENCH_TIME as BENCH_TIME
from harness.catalogue import CASES
from harness.cli import Exit
from harness.errors import BenchError, FatalBenchError, PreconditionNotMet
from harness.interrupts import (
    INTERRUPTED,
    PHASES,
    RUNNING,
    SIGNALS,
    RunSignals,
    interruption_of,
    report_unfinished,
    run_phase,
    settle_unfinished,
    signal_since,
)
from harness.profile import Profile, ProfileError, load_profile
from harness.profile.preflight import preflight
from harness.reference_profiles import default_profile
from harness.report.assessor_view import AssessorView, RunFacts
from harness.report.interruption import NOT_REACHED, Interruption
from harness.report.run_info import bench_line
from harness.report.traceability import NOT_RUN
from harness.session_end import StashKeys, claim_run_folder, write_run_evidence

_FATAL = pytest.StashKey[BaseException]()
_PROFILE = pytest.StashKey[Profile]()
_COORDINATOR = pytest.StashKey[dict[str, str]]()
_VERDICTS = pytest.StashKey[dict[str, tuple[str, str]]]()
_BENCH = pytest.StashKey[Bench]()
_INTERRUPTION = pytest.StashKey[Interruption]()
_RUN_FOLDER = pytest.StashKey[Path]()  # the run folder this session claimed (harness.report.runs)
_FATAL_CASE = pytest.StashKey[str]()  # the case the bench failed in: blocked cases point to it
_NOT_BENCH_ONLY = pytest.StashKey[bool]()  # a failure that is not bench trouble (a device's, or a non-case test's)
_VIEW = pytest.StashKey[AssessorView]()  # the Allure results shaped for an assessor (harness.report.assessor_view)
# The run's exit status: one table, harness.cli.Exit (documented in README.md).
EXIT_SECRET_IN_EVIDENCE = int(Exit.SECRET_IN_EVIDENCE)  # 6
EXIT_INTERRUPTED = int(Exit.INTERRUPTED)  # 2
# The run's evidence (results, captures, traceability, manifest) could not be written, or the
# results folder was refused as not the harness's: no manifest is left that does not verify.
EXIT_EVIDENCE_NOT_WRITTEN = int(Exit.EVIDENCE_NOT_WRITTEN)  # 9


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


def pytest_unconfigure(config: pytest.Config) -> None:
    view = config.stash.get(_VIEW, None)
    if view is not None and allure_commons.plugin_manager.is_registered(view):
        allure_commons.plugin_manager.unregister(view)
    signals = config.stash.get(SIGNALS, None)
    if signals is not None:
        signals.restore()  # already done at the session's end, unless that was cut short


@pytest.hookimpl(tryfirst=True)  # before allure-pytest opens (and --clean-alluredir deletes) the folder
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "case(case_id): a conformance case of harness.catalogue")
    config.addinivalue_line("markers", "soak: needs days of observation on hardware (virtual time in simulation)")
    run_folder = claim_run_folder(config)
    if run_folder is not None:
        config.stash[_RUN_FOLDER] = run_folder


def _profile(config: pytest.Config) -> Profile:
    if _PROFILE not in config.stash:
        try:
            # Without --profile: the installed reference IHD, wherever the run starts from.
            path = config.getoption("--profile") or default_profile()
            loaded = load_profile(path)
            problems = preflight(loaded)  # what the run would trip over later, refused now
            if problems:
                raise ProfileError(loaded.source_path, problems)
            config.stash[_PROFILE] = loaded
        except (ProfileError, FileNotFoundError) as error:
            pytest.exit(f"profile error: {error}", returncode=int(Exit.PROFILE_ERROR))
    return config.stash[_PROFILE]


@pytest.hookimpl(tryfirst=True)  # before -k deselects: a case ID selects its case
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    cases = [(item, item.get_closest_marker("case")) for item in items]
    for item, marker in cases:
        if marker is not None:
            item.extra_keyword_matches.add(marker.args[0])
    if any(marker is not None for _item, marker in cases):
        profile = _profile(config)  # a bad profile stops the run here, before any radio is opened
        if config.getoption("--alluredir", None) and _VIEW not in config.stash:
            # allure-pytest's results, as an assessor reads them, written as allure-pytest writes them.
            config.stash[_VIEW] = view = AssessorView(RunFacts(profile.identity_line(), bench_line(profile)))
            allure_commons.plugin_manager.register(view)
        if SIGNALS not in config.stash:
            config.stash[SIGNALS] = signals = RunSignals()
            signals.install()


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
        _fail_bench(pytestconfig, error)
        raise
    pytestconfig.stash[_BENCH] = the_bench  # stopped at the session's end whatever happened
    the_bench.alluredir = pytestconfig.getoption("--alluredir", None)
    the_bench.soak = pytestconfig.getoption("--soak")
    # Nothing to clear here: the run folder was claimed at configure (new, or an earlier run of
    # ours cleared manifest first), so an abandoned run never inherits another run's manifest.
    try:
        the_bench.start()
    except BaseException as error:
        _fail_bench(pytestconfig, error)
        the_bench.stop()
        raise
    assert the_bench.coordinator is not None
    coordinator = the_bench.loop.call_on_loop(the_bench.coordinator.network_summary)
    coordinator.update(the_bench.han.environment())
    pytestconfig.stash[_COORDINATOR] = coordinator
    view = pytestconfig.stash.get(_VIEW, None)
    if view is not None:  # now the coordinator has said what it is
        view.facts = RunFacts(profile.identity_line(), bench_line(profile, coordinator))
    yield the_bench
    the_bench.stop()


def _fail_bench(config: pytest.Config, error: BaseException) -> None:
    """The bench is unusable from here on: remember why, and in which case."""
    config.stash[_FATAL] = error
    running = config.stash.get(RUNNING, None)
    if running is not None:
        config.stash.setdefault(_FATAL_CASE, running)


def _skip_if_blocked(config: pytest.Config) -> None:
    """After the bench failed, skip as blocked. The cause is said once, in the case it broke;
    the blocked ones point there (sixty copies of one message hide it)."""
    fatal = config.stash.get(_FATAL, None)
    if fatal is None:
        return
    case_id = config.stash.get(_FATAL_CASE, None)
    if case_id is not None:
        pytest.skip(f"blocked: the bench failed before this case (see {case_id})")
    pytest.skip(f"blocked: the bench failed before this case ({type(fatal).__name__}: {fatal})")


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> Bench:
    """The session's bench. Function-scoped so that once the bench has failed, later cases
    are skipped as blocked instead of each repeating the same bench error."""
    _skip_if_blocked(request.config)
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
    view = request.config.stash.get(_VIEW, None)
    callspec = getattr(request.node, "callspec", None)
    if view is not None and callspec is not None:
        view.parametrized(spec.case_id, callspec.params)
    reason = not_applicable(spec.case_id, profile)
    if reason is not None:
        pytest.skip(reason)  # from the profile alone, as `cot-harness plan` says it (harness.applicability)
    _skip_if_blocked(request.config)
    bench: Bench = request.getfixturevalue("bench")
    unsecured = bench.security.blocked_because()
    if unsecured is not None and spec.case_id != "SEC-01":
        raise UnitNotSecured(unsecured)  # broken, not failed: SEC-01 is the verdict on it
    case_record.open_case(request.node, bench, spec.case_id)  # its evidence and bench time (harness.case_record)
    if bench.operator is not None:
        bench.operator.case = spec.case_id  # answers filed under this case, and prompts naming it
    try:
        yield
    finally:
        if bench.operator is not None:
            bench.operator.case = None
        # Normally attached at the end of the call (to the case's body); a case whose call
        # never ran (its setup failed or was interrupted) gets its evidence here.
        case_record.attach_evidence(request.node)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: an interrupt anywhere in the phase
def pytest_runtest_setup(item: pytest.Item):  # noqa: ANN201
    return (yield from run_phase(item, "setup"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item):  # noqa: ANN201
    try:
        result = yield from run_phase(item, "call")
    except PreconditionNotMet as unmet:
        try:
            case_record.check_unit_on_air(item, unmet)  # UnitSilent instead, when that is the real cause
        finally:
            case_record.attach_evidence_of_failed_call(item)
        raise
    except BaseException:
        case_record.attach_evidence_of_failed_call(item)  # in the case's body, beside the step that failed
        raise
    case_record.attach_evidence(item)  # after the case body, inside it: the Allure case's own attachments
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    return (yield from run_phase(item, "teardown"))


@pytest.hookimpl(wrapper=True)  # inside allure-pytest's, which closes the result after it
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    marker = item.get_closest_marker("case")
    if marker is None:
        return (yield)
    item.config.stash[RUNNING] = marker.args[0]
    try:
        result = yield
    except KeyboardInterrupt:
        if "teardown" in item.stash.get(PHASES, {}):
            del item.config.stash[RUNNING]  # the case had finished: the interrupt came after it
        elif INTERRUPTED not in item.config.stash:
            report_unfinished(item, signal_since(item.config) or "KeyboardInterrupt")
        raise
    del item.config.stash[RUNNING]
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    item.stash.setdefault(PHASES, {})[report.when] = report.outcome
    _record_verdict(item, report)
    marker = item.get_closest_marker("case")
    view = item.config.stash.get(_VIEW, None)
    if view is not None and marker is not None and report.failed and call.excinfo is not None:
        # For the report: where it failed, without the repr of every argument on the way.
        view.failure(marker.args[0], call.excinfo.value)
    if report.failed and (marker is None or (report.when == "call" and _is_assertion(report))):
        item.config.stash[_NOT_BENCH_ONLY] = True  # so the run's exit status stays 1, not 7
    if call.excinfo is not None and call.excinfo.errisinstance(FatalBenchError):
        # Every remaining case is blocked (skipped), not failed: the bench is unusable.
        _fail_bench(item.config, call.excinfo.value)
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
    interruption = config.stash.get(_INTERRUPTION, None)
    if interruption is None:
        terminalreporter.section("cot-harness verdicts")
    else:
        terminalreporter.section(f"cot-harness verdicts: RUN {interruption.summary().upper()}", red=True)
    for case_id in CASES:
        if case_id in verdicts:
            verdict, reason = verdicts[case_id]
            terminalreporter.write_line(f"{case_id:9} {verdict:8} {reason}"[:200])
        elif interruption is not None and case_id in interruption.not_reached:
            terminalreporter.write_line(f"{case_id:9} {NOT_RUN:8} {NOT_REACHED.removeprefix('not run: ')}")
    spent = case_record.bench_time_line(config)
    if spent is not None:
        terminalreporter.write_line(spent)
    fatal = config.stash.get(_FATAL, None)
    if fatal is not None:
        # Once, whole (the verdict lines are cut at 200 characters): the cause and what to check.
        where = config.stash.get(_FATAL_CASE, "starting the bench")
        terminalreporter.write_line(f"bench error in {where}: {type(fatal).__name__}: {fatal}", red=True)


def _stop_bench(config: pytest.Config) -> None:
    """The bench's teardown may itself have been interrupted: stop it here, so the loop thread
    and the coordinator are closed and the process can exit."""
    bench = config.stash.get(_BENCH, None)
    if bench is None or not bench.loop.running:
        return
    try:
        bench.stop()
    except Exception as error:  # noqa: BLE001 - the evidence must still be written
        print(f"cot-harness: the bench did not stop cleanly: {type(error).__name__}: {error}")


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):  # noqa: ANN201
    stopped_by: str | None = None
    try:
        return (yield)
    except KeyboardInterrupt as stop:  # a signal, or pytest's Interrupted after a stopped case
        stopped_by = str(stop) or type(stop).__name__
        raise
    finally:
        signals = session.config.stash.get(SIGNALS, None)
        if signals is not None:
            signals.stopping()  # the bench is stopped and the evidence written: the next signal waits
        interruption = interruption_of(session, stopped_by, session.config.stash.setdefault(_VERDICTS, {}))
        if interruption is not None:
            session.config.stash[_INTERRUPTION] = interruption
            settle_unfinished(session.config, interruption, session.config.stash.setdefault(_VERDICTS, {}))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Run-level evidence: environment, traceability, manifest, and a scan for secrets."""
    config = session.config
    signals = config.stash.get(SIGNALS, None)
    if session.exitstatus == pytest.ExitCode.TESTS_FAILED and not config.stash.get(_NOT_BENCH_ONLY, False):
        # Only broken cases, no device failure: the bench's fault, not the device's (7, not 1).
        session.exitstatus = int(Exit.BENCH_ERROR)
    try:
        _stop_bench(config)
        ran = config.stash.get(_BENCH, None)
        write_run_evidence(
            session,
            StashKeys(_INTERRUPTION, _PROFILE, _RUN_FOLDER, _COORDINATOR),
            config.stash.setdefault(_VERDICTS, {}),
            bench_seconds=case_record.bench_seconds(config),
            # The link keys CBKE derived: no profile holds them, the scan still looks for them.
            derived_secrets=ran.security.derived_keys() if ran is not None else [],
            bench=ran,
        )
    finally:
        if signals is not None:
            signals.restore()
            if signals.received and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = EXIT_INTERRUPTED  # a signal came while the evidence was written


def applies(condition: bool, field: str, why: str) -> None:
    """Skip as not applicable, naming the profile field that decides it."""
    if not condition:
        pytest.skip(f"not applicable: {field} {why}")


__all__ = ["BenchError", "applies"]
