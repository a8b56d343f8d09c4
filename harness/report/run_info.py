"""Run-level Allure files: environment.properties and executor.json in the results folder.

They answer the assessor's first questions about a run (which harness, which code, which
coordinator, which device and firmware, which profile, exactly) on the report's front page.
The profile is identified by its SHA-256 so that a later edit of the file is visible; its
secrets never reach these files (each value is checked against Profile.secrets()).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import harness
from harness.profile import Profile
from harness.profile.rules import has_remote_simulation
from harness.report.interruption import ENVIRONMENT_KEY, Interruption
from harness.report.manifest import sha256_of
from harness.report.properties import dump_properties
from harness.report.redact import redact_text
from harness.stick_identity import is_emulated

__all__ = ["ENVIRONMENT_FILE", "EXECUTOR_FILE", "bench_line", "environment", "git_commit", "write_run_info"]

ENVIRONMENT_FILE = "environment.properties"
EXECUTOR_FILE = "executor.json"
UNKNOWN = "unknown"
GIT_TIMEOUT_S = 10
# The distributions whose versions every run's environment states, in its order.
VERSIONED = ("cot-harness", "zigpy", "zigpy-znp", "allure-pytest")


@functools.cache
def _version(distribution: str) -> str:
    """An installed distribution's version, looked up once a process (each lookup walks
    sys.path's metadata; what a process runs is what it imported at its start)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def environment_facts() -> None:
    """Look up, once, what every run's environment states about this process (the harness's
    commit, the versions of the harness, zigpy, zigpy-znp and allure-pytest): the selftest's
    template asks before it forks its runs, so none of them looks again."""
    git_commit()
    for distribution in VERSIONED:
        _version(distribution)


def _git(repo: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-C", str(repo), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def git_commit() -> str:
    """The commit of the harness's own checkout, "-dirty" when files differ from it.

    Only when the package sits at the top of a git work tree: an installed copy inside some
    other repository (a lab's project with its venv) must not report that project's commit.
    Asked once a process: the code a process runs is what it imported at its start, and the
    selftest's template asks before it forks (three git processes less a run).
    """
    root = Path(harness.__file__).resolve().parent.parent
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root:
        return UNKNOWN
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return UNKNOWN
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return f"{commit}-dirty" if status else commit


def bench_line(profile: Profile, coordinator: Mapping[str, str] | None = None) -> str:
    """One line an assessor must read first: was a real device on a real stick, or not."""
    info = coordinator or {}
    if profile.is_simulated or has_remote_simulation(profile) or "emulated" in info:
        emulated = info.get("emulated", "").removeprefix("yes: ")
        return "EMULATED, not a hardware result: a simulated unit behind an emulated Z-Stack coordinator" + (
            f" ({emulated})" if emulated else ""
        )
    if stick_is_emulated(info):
        # Reached as a stick (socket://, ser2net, a pty) with no control endpoint: the stick
        # itself said it is an emulator, and that outweighs what the profile calls it.
        return (
            f"EMULATED, not a hardware result: the coordinator at {profile.radio.path} is an emulated Z-Stack "
            f"(SYS.Version BootloaderRevision {info.get('bootloader_revision')}); whatever answers behind it "
            "is not a certified device on a real stick"
        )
    firmware = info.get("firmware")
    return f"hardware: the unit on the coordinator at {profile.radio.path}" + (f", {firmware}" if firmware else "")


def stick_is_emulated(coordinator: Mapping[str, str]) -> bool:
    """The stick's SYS.Version BootloaderRevision, as the coordinator summary has it, is the
    emulator's (harness.stick_identity)."""
    revision = coordinator.get("bootloader_revision", "")
    try:
        return is_emulated(int(revision, 16))
    except ValueError:
        return False


BENCH_TIME_KEY = "run.bench_time"


def environment(
    profile: Profile,
    coordinator: Mapping[str, str] | None,
    interruption: Interruption | None = None,
    bench_seconds: float | None = None,
) -> dict[str, str]:
    """The environment.properties entries, secrets redacted; what an assessor asks first comes
    first (Allure shows the first few on the report's front page, the rest behind "Show more")."""
    source = profile.source_path
    values = {
        "bench": bench_line(profile, coordinator),
        "device": profile.identity_line(),
        "device.firmware_version": profile.identity.firmware_version,
        "coordinator.firmware": (coordinator or {}).get("firmware") or UNKNOWN,
        "profile.path": str(source.resolve()) if source else "none (built in code)",
        "profile.sha256": sha256_of(source) if source and source.is_file() else UNKNOWN,
        "harness.version": _version(VERSIONED[0]),
        "harness.git_commit": git_commit(),
        "zigpy.version": _version(VERSIONED[1]),
        "zigpy_znp.version": _version(VERSIONED[2]),
        "allure_pytest.version": _version(VERSIONED[3]),
        "python.version": platform.python_version(),
    }
    if bench_seconds is not None:
        # The time the run held the bench (virtual in simulation): what a lab books.
        values = {**dict(list(values.items())[:2]), BENCH_TIME_KEY: _bench_time(bench_seconds), **values}
    if interruption is not None:
        # First on the report's front page, and a difference `cot-harness diff` shows.
        values = {ENVIRONMENT_KEY: interruption.summary(), **values}
    for key, value in sorted((coordinator or {}).items()):
        values.setdefault(f"coordinator.{key}", str(value))
    secrets = profile.secrets()
    # A coordinator summary or a profile path could one day carry a key; the key name too.
    return {redact_text(k, secrets): redact_text(v, secrets) for k, v in values.items()}


def _bench_time(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 3600:.2f} h)"


def _executor_type() -> str:
    # Allure picks the executor's icon from its type; name the CI when there is one.
    for variable, kind in (("GITHUB_ACTIONS", "github"), ("GITLAB_CI", "gitlab"), ("JENKINS_URL", "jenkins")):
        if os.environ.get(variable):
            return kind
    return "local"


def write_run_info(
    alluredir: Path,
    *,
    profile: Profile,
    coordinator: dict[str, str] | None,
    interruption: Interruption | None = None,
    bench_seconds: float | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Write environment.properties and executor.json into alluredir (created if missing).
    `env`: environment() of the same arguments when the caller has it already (it asks git
    three times: a run's end needs it once)."""
    alluredir = Path(alluredir)
    alluredir.mkdir(parents=True, exist_ok=True)
    if env is None:
        env = environment(profile, coordinator, interruption, bench_seconds)
    (alluredir / ENVIRONMENT_FILE).write_text(dump_properties(env), encoding="ascii")
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    executor = {
        "name": "cot-harness",
        "type": _executor_type(),
        "buildName": f"cot-harness run {started.isoformat().replace('+00:00', 'Z')}",
        "reportName": redact_text(f"Change of Tenancy conformance: {profile.identity_line()}", profile.secrets()),
    }
    (alluredir / EXECUTOR_FILE).write_text(json.dumps(executor, indent=2) + "\n", encoding="utf-8")
