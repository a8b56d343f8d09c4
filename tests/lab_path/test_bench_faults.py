"""Bench faults injected mid-run, for real: each ends with the case it hit broken and every
case after it blocked (or, for Ctrl-C, not run), the finished cases' results and evidence
kept, the manifest written, and the run's own exit status; and nothing is left behind: no
process, no listening port, no pty link, no pty held open.

The faults: the stick unplugged (the emulator process killed), garbage on the serial line,
the unit going silent, the control endpoint lost, SIGINT in the middle of a case. Each is
injected once the run has finished a few cases, at a point the run cannot pass on its own:
the control endpoint is reached through a relay that holds the run's first request after
that many results are written (the run waits for its answer), and lets it through once the
fault is in. A drill that only waited for the results and then injected would inject
wherever a loaded machine had let the run get to meanwhile, up to after its last case.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from lab_bench import (
    RUN_DEADLINE_S,
    Emulator,
    Relay,
    listening_ports,
    port_of,
    processes_mentioning,
    pty_fds,
    start_emulator,
    start_harness,
    wait_until,
)

from harness.cli import Exit
from harness.report.runs import MANIFEST_NAME

FINISHED_BEFORE_FAULT = 4  # results written before the fault is injected
# A frame that begins like an MT frame and claims 250 bytes (the most zigpy-znp accepts): the
# receiver swallows the real frames after it into one with a bad checksum and drops them.
GARBAGE = bytes([0xFE, 0xFA]) + bytes(range(40))
# The stick's confirmation lost (a request times out), or a frame lost while waiting.
LINE_FAILED = ("stopped answering", "on the serial line")


def _results(alluredir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in alluredir.glob("*-result.json")]


def _profile_via(emulator: Emulator, tmp: Path, *, serial: str | None = None, control: str | None = None) -> Path:
    assert emulator.profile is not None
    data = yaml.safe_load(emulator.profile.read_text())
    if serial is not None:
        data["radio"]["path"] = serial
    if control is not None:
        data["simulation"]["control"] = control
    # A stick that stops confirming is found after radio.request_timeout and an unanswered
    # SYS.Ping: zigpy-znp's 15 s default would make each garbage drill last close to a minute.
    data["radio"]["request_timeout"] = "4s"
    path = tmp / "faulty-bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _results_at_least(alluredir: Path, count: int = FINISHED_BEFORE_FAULT) -> Callable[[], bool]:
    """Whether `count` results are written: the folder is listed again only when it changed
    (its mtime), not at every request the relay carries (a run makes thousands, and the folder
    holds hundreds of attachments)."""
    seen = -1

    def reached() -> bool:
        nonlocal seen
        try:
            changed = os.stat(alluredir).st_mtime_ns
        except FileNotFoundError:
            return False
        if changed == seen:
            return False
        seen = changed
        return sum(1 for name in os.listdir(alluredir) if name.endswith("-result.json")) >= count

    return reached


def _drill(
    tmp: Path,
    inject: Callable[[Emulator, subprocess.Popen[str], dict[str, Relay]], None],
    *,
    relay_serial: bool = False,
    pty: bool = False,
) -> tuple[int, str, Path]:
    """Start an emulator and a run against it (the control endpoint through a holding relay,
    the serial line through one if asked), inject the fault while the run waits on its held
    request after FINISHED_BEFORE_FAULT results, and wait for everything to end."""
    emulator = start_emulator(tmp, pty=pty)
    relays: dict[str, Relay] = {}
    run_folder = tmp / "run"
    alluredir = run_folder / "allure-results"
    try:
        assert emulator.control is not None
        if relay_serial:
            relays["serial"] = Relay(("127.0.0.1", port_of(emulator.serial)))
        relays["control"] = Relay(("127.0.0.1", port_of(emulator.control)), hold_when=_results_at_least(alluredir))
        profile = _profile_via(
            emulator,
            tmp,
            serial=f"socket://127.0.0.1:{relays['serial'].port}" if relay_serial else None,
            control=f"tcp://127.0.0.1:{relays['control'].port}",
        )
        run = start_harness(profile, run_folder)
        wait_until(
            lambda: run.poll() is not None or relays["control"].held.is_set(),
            RUN_DEADLINE_S,
            "the run to finish its first cases",
        )
        assert run.poll() is None, "the run ended before the fault could be injected"
        inject(emulator, run, relays)
        relays["control"].release()
        output, _ = run.communicate(timeout=RUN_DEADLINE_S)
        (tmp / "run-output.txt").write_text(output)  # for whoever reads a failure
        if emulator.process.poll() is None:
            emulator.ended()  # its session ended with the run: it ends by itself
    finally:
        for relay in relays.values():
            relay.close()
        emulator.stop()
    ports = {port_of(emulator.control or "tcp://x:0")} | {relay.port for relay in relays.values()}
    if emulator.serial.startswith("socket://"):
        ports.add(port_of(emulator.serial))
    still = ports & listening_ports()
    assert not still, f"still listening on {sorted(still)} after the run"
    return run.returncode, output, run_folder


def _check_ended(
    code: int, output: str, run_folder: Path, tmp: Path, *, exit_code: Exit, says: str | tuple[str, ...]
) -> None:
    assert code == exit_code, output[-3000:]
    results = _results(run_folder / "allure-results")
    statuses = [r["status"] for r in results]
    assert statuses.count("passed") >= FINISHED_BEFORE_FAULT - 1  # BENCH-01 and the cases before the fault
    broken = sorted((r for r in results if r["status"] == "broken"), key=lambda r: r["start"])
    shown = [(r["name"], r.get("statusDetails", {}).get("message", "")[:200]) for r in broken]
    # The case the fault hit is broken; on a spoiled line, a frame may first be reported lost
    # on its own (the stick still answered a ping), and the next wait finds the line broken.
    assert len(broken) == 1 or (len(broken) == 2 and "DeliveryFailed" in shown[0][1] and says == LINE_FAILED), shown
    message = broken[-1].get("statusDetails", {}).get("message", "")
    assert any(words in message for words in ((says,) if isinstance(says, str) else says)), message
    assert "failed" not in statuses  # a bench fault is never the device's
    if exit_code == Exit.BENCH_ERROR:
        for result in results:
            if result["status"] == "skipped" and "not applicable" not in result["statusDetails"]["message"]:
                assert "blocked" in result["statusDetails"]["message"], result["statusDetails"]["message"]
        assert statuses.count("skipped") > 6  # the reference's 6 not-applicable cases and the blocked rest
    # The finished cases keep their evidence, and the manifest covers it.
    passed = [r for r in results if r["status"] == "passed"]
    assert all(r.get("attachments") or any(s.get("attachments") for s in r.get("steps", [])) for r in passed)
    assert (run_folder / MANIFEST_NAME).is_file(), "the evidence manifest was not written"
    # Nothing left behind.
    assert processes_mentioning(str(tmp)) == []
    assert not (tmp / "coordinator-tty").is_symlink()


@pytest.fixture
def no_new_ptys() -> object:
    before = sorted(pty_fds())
    yield
    assert sorted(pty_fds()) == before, "a pty was left open in the test's own process"


def test_the_stick_unplugged_mid_run_blocks_the_rest(tmp_path: Path, no_new_ptys: object) -> None:
    def unplug(emulator: Emulator, run: subprocess.Popen[str], relays: dict[str, Relay]) -> None:
        emulator.process.kill()  # SIGKILL: no goodbye on either port

    code, output, run_folder = _drill(tmp_path, unplug)
    # Whichever notices first: zigpy-znp's lost serial link or the control endpoint's.
    broken = next(r for r in _results(run_folder / "allure-results") if r["status"] == "broken")
    says = "went away mid-run" if "went away mid-run" in broken["statusDetails"]["message"] else "was lost"
    _check_ended(code, output, run_folder, tmp_path, exit_code=Exit.BENCH_ERROR, says=says)


def test_garbage_on_the_serial_line_blocks_the_rest(tmp_path: Path, no_new_ptys: object) -> None:
    def spoil(emulator: Emulator, run: subprocess.Popen[str], relays: dict[str, Relay]) -> None:
        relays["serial"].inject(GARBAGE)

    code, output, run_folder = _drill(tmp_path, spoil, relay_serial=True)
    _check_ended(code, output, run_folder, tmp_path, exit_code=Exit.BENCH_ERROR, says=LINE_FAILED)


def test_garbage_toward_the_stick_blocks_the_rest(tmp_path: Path, no_new_ptys: object) -> None:
    def spoil(emulator: Emulator, run: subprocess.Popen[str], relays: dict[str, Relay]) -> None:
        relays["serial"].inject(GARBAGE, toward_client=False)

    code, output, run_folder = _drill(tmp_path, spoil, relay_serial=True)
    _check_ended(code, output, run_folder, tmp_path, exit_code=Exit.BENCH_ERROR, says=LINE_FAILED)


def test_the_unit_going_silent_blocks_the_rest(tmp_path: Path, no_new_ptys: object) -> None:
    def silence(emulator: Emulator, run: subprocess.Popen[str], relays: dict[str, Relay]) -> None:
        emulator.process.send_signal(signal.SIGUSR1)  # the emulator's drill: the unit dies

    # The unit dies while a case waits for it to show data: that wait ends as an unmet
    # precondition, so the harness asks whether the unit is still on the air (UutLink.check_on_air)
    # and the case is broken with UnitSilent, the rest blocked (not each waiting out its deadline).
    code, output, run_folder = _drill(tmp_path, silence)
    _check_ended(code, output, run_folder, tmp_path, exit_code=Exit.BENCH_ERROR, says="went silent")


def test_the_control_endpoint_lost_blocks_the_rest(tmp_path: Path, no_new_ptys: object) -> None:
    def cut(emulator: Emulator, run: subprocess.Popen[str], relays: dict[str, Relay]) -> None:
        relays["control"].cut()

    code, output, run_folder = _drill(tmp_path, cut)
    # The emulator ends with its control session (one run per emulator), closing the serial
    # link right after: whichever loss the harness notices first is the one it reports (2 in 6
    # drills under load it was the serial link's, StickLost). Either is fatal, exit 7.
    says = ("control endpoint", "went away mid-run")
    _check_ended(code, output, run_folder, tmp_path, exit_code=Exit.BENCH_ERROR, says=says)


def test_sigint_in_the_middle_of_a_case_stops_the_run(tmp_path: Path, no_new_ptys: object) -> None:
    def interrupt(emulator: Emulator, run: subprocess.Popen[str], relays: dict[str, Relay]) -> None:
        run.send_signal(signal.SIGINT)

    code, output, run_folder = _drill(tmp_path, interrupt, pty=True)  # zigpy-znp on the emulator's pty
    _check_ended(code, output, run_folder, tmp_path, exit_code=Exit.INTERRUPTED, says="interrupted")
    assert "Interrupted: SIGINT during" in output
