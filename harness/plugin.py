"""The pytest plugin: options, the session bench, case labels, evidence and verdicts.

Registered through the `pytest11` entry point. A profile error stops the run before any
radio is opened; a bench error while starting breaks the first case and blocks the rest
(skipped, not failed); a case not applicable to the profile is skipped naming the field.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import CASES
from harness.errors import BenchError, FatalBenchError
from harness.evidence.pcapng import write_pcapng
from harness.evidence.trace_text import trace_text
from harness.profile import Profile, ProfileError, load_profile
from harness.sim.air import parse_air

DEFAULT_PROFILE = Path("device_profiles/sim-ihd.yaml")
_FATAL = pytest.StashKey[BaseException]()
_PROFILE = pytest.StashKey[Profile]()


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


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(item.get_closest_marker("case") for item in items):
        _profile(config)  # a bad profile stops the run here, before any radio is opened


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return _profile(pytestconfig)


@pytest.fixture(scope="session")
def bench(pytestconfig: pytest.Config, profile: Profile) -> Iterator[Bench]:
    air = pytestconfig.getoption("--air")
    the_bench = Bench(
        profile,
        sim_transport=pytestconfig.getoption("--sim-transport"),
        air=parse_air(air) if air else None,
        air_seed=pytestconfig.getoption("--air-seed"),
    )
    the_bench.alluredir = pytestconfig.getoption("--alluredir", None)
    the_bench.soak = pytestconfig.getoption("--soak")
    try:
        the_bench.start()
    except BaseException as error:
        pytestconfig.stash[_FATAL] = error
        the_bench.stop()
        raise
    yield the_bench
    the_bench.stop()


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
    mark = bench.mark()
    try:
        yield
    finally:
        _attach_trace(bench, mark, spec.case_id)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(FatalBenchError):
        # Every remaining case is blocked (skipped), not failed: the bench is unusable.
        item.config.stash[_FATAL] = call.excinfo.value
    return report


def _capture_dir(bench: Bench) -> Path:
    """Beside the Allure results: <alluredir>/../captures (reports/captures by default)."""
    alluredir = bench.alluredir
    return (Path(alluredir).parent if alluredir else Path("reports")) / "captures"


def _attach_trace(bench: Bench, mark: int, case_id: str) -> None:
    records = bench.frames_since(mark)
    allure.attach(trace_text(records), name=f"{case_id} frame trace", attachment_type=allure.attachment_type.TEXT)
    capture = _capture_dir(bench) / f"{case_id}.pcapng"
    try:
        write_pcapng(
            records,
            capture,
            pan_id=bench.profile.radio.pan_id,
            channel=bench.profile.radio.channel,
            comment=f"{case_id} {bench.profile.identity_line()}",
        )
    except (OSError, ValueError) as error:
        allure.attach(
            f"capture not written: {error}",
            name=f"{case_id} capture error",
            attachment_type=allure.attachment_type.TEXT,
        )
        return
    allure.attach.file(str(capture), name=f"{case_id} frames (pcapng, Wireshark)", extension="pcapng")


def applies(condition: bool, field: str, why: str) -> None:
    """Skip as not applicable, naming the profile field that decides it."""
    if not condition:
        pytest.skip(f"not applicable: {field} {why}")


__all__ = ["BenchError", "applies"]
