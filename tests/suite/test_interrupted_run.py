"""An interrupted (SIGINT, Ctrl-C) or killed (SIGTERM) run never records an unfinished case as passed.

Each run is `cot-harness run` in a subprocess, as a lab starts it, against a model from
tests/suite/stalling_ihd.py that makes one point of the run wait in real time; the test
signals the run there and reads back what an assessor would be handed: the Allure results,
the traceability matrix, environment.properties, the manifest (checked by sha256sum too)
and `cot-harness diff` against a complete run of the same cases.
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.bench.loop import BenchLoop
from harness.report.diff import diff_runs, format_diff
from harness.report.interruption import NOT_REACHED
from harness.report.manifest import verify_manifest
from harness.report.properties import parse_properties
from harness.report.results import read_cases
from harness.report.traceability import NOT_RUN
from tests.suite.conftest import REPO
from tests.suite.stalling_ihd import STALLED_FILE

PROFILE = REPO / "device_profiles" / "sim-ihd.yaml"
# Cases before NEG-02 that finish, NEG-02 (interrupted in its observation window), two after it.
SELECTION = "BENCH-01 or CLR-01 or NEG-01 or NEG-02 or NEG-03 or POLL-04"
FINISHED = ("BENCH-01", "CLR-01", "NEG-01")
NOT_REACHED_CASES = ("NEG-03", "POLL-04")
STALL_DEADLINE_S = 120  # bench start and the cases before the stall take a few seconds
EXIT_DEADLINE_S = 60  # after the signal: teardown, the bench stopped, the evidence written


@dataclass
class Run:
    returncode: int
    output: str
    alluredir: Path

    @property
    def reports(self) -> Path:
        return self.alluredir.parent

    def traceability(self) -> dict[str, dict[str, str]]:
        with (self.reports / "traceability" / "traceability.csv").open(newline="", encoding="utf-8") as stream:
            return {row["case ID"]: row for row in csv.DictReader(stream)}


def _profile(folder: Path, model: str) -> Path:
    data = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    data["simulation"]["model"] = f"tests.suite.stalling_ihd:{model}"
    path = folder / f"{model}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _default_sigint() -> None:
    # A background job's SIGINT is ignored, and Python then installs no KeyboardInterrupt
    # handler: give the run the SIGINT a terminal's Ctrl-C would reach.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(folder: Path, profile: Path, selection: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    alluredir = folder / "reports" / "allure-results"
    log = folder / "run.log"
    marker = folder / "stalled"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", "--profile", str(profile), "--alluredir", str(alluredir)]
            + ["--", "-k", selection],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, STALLED_FILE: str(marker)},
            preexec_fn=_default_sigint,
        )
    return proc, alluredir, log


def interrupted_run(folder: Path, model: str, signum: int, selection: str = SELECTION) -> Run:
    """Run until the model stalls, send `signum`, and wait for the run to end by itself."""
    proc, alluredir, log = _start(folder, _profile(folder, model), selection)
    marker = folder / "stalled"
    deadline = time.monotonic() + STALL_DEADLINE_S
    try:
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"the run ended (exit {proc.returncode}) before the model stalled:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the model did not stall within {STALL_DEADLINE_S} s:\n{log.read_text()}")
            time.sleep(0.05)
        proc.send_signal(signum)
        try:
            returncode = proc.wait(EXIT_DEADLINE_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run did not exit within {EXIT_DEADLINE_S} s of the signal:\n{log.read_text()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Run(returncode, log.read_text(encoding="utf-8", errors="replace"), alluredir)


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same cases, run to the end against the reference IHD: the baseline for diff."""
    alluredir = tmp_path_factory.mktemp("complete") / "reports" / "allure-results"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", str(PROFILE), "--alluredir", str(alluredir)]
        + ["--", "-k", SELECTION],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    return alluredir


def assert_run_evidence_written(run: Path) -> None:
    """environment, traceability, the manifest and its .sha256 all there and consistent."""
    reports = run.parent
    manifest = reports / "evidence-manifest.json"
    assert manifest.is_file() and (reports / "evidence-manifest.sha256").is_file()
    assert verify_manifest(manifest) == []
    sha256sum = shutil.which("sha256sum")
    if sha256sum is not None:  # GNU coreutils, with none of our code
        done = subprocess.run([sha256sum, "-c", "--quiet", "evidence-manifest.sha256"], cwd=reports, text=True)
        assert done.returncode == 0
    assert (reports / "traceability" / "traceability.md").is_file()
    assert (run / "environment.properties").is_file()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_case_interrupted_in_its_observation_window_is_broken_never_passed(
    signum: signal.Signals, tmp_path: Path, complete_run: Path
) -> None:
    name = signal.Signals(signum).name
    run = interrupted_run(tmp_path, "StallsOnRepeatedCot", signum)
    assert run.returncode == 2, run.output  # pytest's "interrupted"
    cases = read_cases(run.alluredir)
    # The case it was in: broken, saying interrupted, with its evidence still attached.
    neg02 = cases["NEG-02"]
    assert neg02.status == "broken", (neg02.status, neg02.message)
    assert f"interrupted by {name}" in neg02.message
    assert any(a.name == "NEG-02 frame trace" for a in neg02.attachments)
    assert any(a.source.endswith(".pcapng") for a in neg02.attachments)
    # The cases that finished keep their verdicts; the ones not reached have no result.
    assert {case_id: cases[case_id].status for case_id in FINISHED} == dict.fromkeys(FINISHED, "passed")
    assert not set(NOT_REACHED_CASES) & set(cases)
    assert_run_evidence_written(run.alluredir)
    rows = run.traceability()
    assert rows["NEG-02"]["verdict"] == "broken" and "interrupted" in rows["NEG-02"]["detail"]
    for case_id in NOT_REACHED_CASES:
        assert rows[case_id]["verdict"] == NOT_RUN
        assert rows[case_id]["detail"].startswith(NOT_REACHED) and f"{name} during NEG-02" in rows[case_id]["detail"]
    assert rows["DM-01"] == {**rows["DM-01"], "verdict": NOT_RUN, "detail": ""}  # deselected, not interrupted
    markdown = (run.reports / "traceability" / "traceability.md").read_text(encoding="utf-8")
    assert f"This run was interrupted by {name} during NEG-02; 2 case(s) not run" in markdown
    env = parse_properties((run.alluredir / "environment.properties").read_text(encoding="ascii"))
    assert env["run.interrupted"] == f"interrupted by {name} during NEG-02; 2 case(s) not run"
    # The lab's terminal says so too.
    assert f"cot-harness verdicts: RUN INTERRUPTED BY {name} DURING NEG-02" in run.output
    assert "NEG-03    not run" in run.output and "NEG-02    broken" in run.output
    assert "cot-harness: evidence manifest" in run.output and "SECRET IN EVIDENCE" not in run.output
    # cot-harness diff against a complete run: worse, never "same".
    diff = diff_runs(complete_run, run.alluredir)
    changes = {c.case_id: (c.a, c.b, c.change) for c in diff.cases}
    assert changes["NEG-02"] == ("passed", "broken", "WORSE")
    assert all(changes[case_id] == ("passed", NOT_RUN, "WORSE") for case_id in NOT_REACHED_CASES)
    assert all(changes[case_id][2] == "same" for case_id in FINISHED)
    assert f"B: {run.alluredir} (interrupted by {name} during NEG-02" in format_diff(diff)


def test_a_run_killed_while_the_bench_starts_breaks_the_first_case(tmp_path: Path) -> None:
    run = interrupted_run(tmp_path, "StallsBeforeJoining", signal.SIGTERM)
    assert run.returncode == 2, run.output
    cases = read_cases(run.alluredir)
    assert cases["BENCH-01"].status == "broken"
    assert "interrupted by SIGTERM during the case's setup" in cases["BENCH-01"].message
    assert set(cases) == {"BENCH-01"}
    assert_run_evidence_written(run.alluredir)
    rows = run.traceability()
    assert all(rows[case_id]["detail"].startswith(NOT_REACHED) for case_id in ("CLR-01", "NEG-02", "POLL-04"))


def test_an_interrupted_wait_cancels_its_coroutine_on_the_bench_loop() -> None:
    """The case's thread stops waiting; the coroutine must not go on driving the bench."""

    class Clock:
        def now(self) -> float:
            return time.monotonic()

    loop = BenchLoop(Clock(), quiet=lambda: False, advance_to=lambda _t: None, poll_interval=0.01)  # type: ignore[arg-type]
    loop.start()
    cancelled = threading.Event()
    main = threading.main_thread().ident
    assert main is not None

    async def wait_forever() -> None:
        # Ctrl-C once the case's thread is blocked on this coroutine's result.
        deadline = time.monotonic() + 10
        while sys._current_frames()[main].f_code.co_name != "wait" and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        signal.pthread_kill(main, signal.SIGINT)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    # Python's own SIGINT handling, even where this test runs as a background job (SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_coroutine(wait_forever(), timeout=30)  # a timeout would also cancel: it fails the raises
        assert cancelled.wait(10), "the coroutine was left running on the loop"
    finally:
        signal.signal(signal.SIGINT, previous)
        loop.close()
    assert not loop.running


def test_the_first_signal_interrupts_the_next_waits_the_one_after_abandons(capfd: pytest.CaptureFixture[str]) -> None:
    from harness.interrupts import RunSignals

    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM already has a handler in this process")
    signals = RunSignals()
    signals.install()
    try:
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)  # stopping: only noted
        assert signals.received == ["SIGTERM", "SIGTERM"]
        assert "the run is stopping and writing its evidence" in capfd.readouterr().err
    finally:
        signals.restore()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    # The third, in a process of its own: the signal's default action, at once.
    third = subprocess.run(
        [
            sys.executable,
            "-c",
            "import signal\n"
            "from harness.interrupts import RunSignals\n"
            "s = RunSignals(); s.install(); s.stopping()\n"
            "signal.raise_signal(signal.SIGTERM)\n"
            "signal.raise_signal(signal.SIGTERM)\n"
            "print('still running')\n",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert third.returncode == -signal.SIGTERM and "still running" not in third.stdout
