"""What an interrupted run needs: its signals, and the unfinished case's missing verdict.

pytest re-raises a KeyboardInterrupt without reporting the phase it hit, and allure-pytest
then writes the case with the status of its last report: passed, from its setup. The phase
wrappers of harness.plugin run each phase of a case through `phase` here, which turns the
first interrupt inside a case into RunInterrupted (an Exception: reported, broken in
Allure) and stops the session after that case; `report_unfinished` gives a case hit
between two phases the report it never got. SIGTERM becomes the same KeyboardInterrupt
(RunSignals), so a killed run ends like an interrupted one.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from harness.report.interruption import Interruption
from harness.report.results import mark_unfinished

SIGNALS = pytest.StashKey["RunSignals"]()
INTERRUPTED = pytest.StashKey[tuple[str, str | None]]()  # (what stopped the run, the case it was in)
RUNNING = pytest.StashKey[str]()  # the case whose runtest protocol is under way
PHASES = pytest.StashKey[dict[str, str]]()  # on an item: phase -> outcome of its report


class RunInterrupted(Exception):
    """The run was stopped while this case was running: the case did not finish, so it has no
    verdict. An Exception, not a KeyboardInterrupt, so that pytest reports it (broken)."""


class RunSignals:
    """SIGINT and SIGTERM for the session. The first raises KeyboardInterrupt in the main
    thread, so a killed run ends like an interrupted one, and the run is stopping: the case it
    hit is recorded broken, the bench stopped, the evidence written. The next signal is only
    noted: raised while that is under way it would cut it short (at worst inside a lock the
    case's thread shares with the bench loop, which would then hang). The one after abandons
    the run: the signal's default action, at once; the evidence then has no manifest."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._previous: dict[int, Any] = {}
        self._stopping = False
        self._while_stopping = 0

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # pytest.main() in another thread: signal.signal would refuse
        for signum, default in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL)):
            # Only over Python's own defaults: a handler the caller chose, or an ignored SIGINT
            # (a background job), stays as it was.
            if signal.getsignal(signum) is default:
                self._previous[signum] = default
                signal.signal(signum, self._on_signal)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def stopping(self) -> None:
        """The run is winding down (interrupted, or past its last case): signals wait."""
        self._stopping = True

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        if not self._stopping:
            self._stopping = True
            raise KeyboardInterrupt(name)
        self._while_stopping += 1
        if self._while_stopping == 1:
            sys.stderr.write(
                f"\ncot-harness: {name}: the run is stopping and writing its evidence; "
                "send it again to abandon the run (its evidence then has no manifest)\n"
            )
            return
        self.restore()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


def interrupted(item: pytest.Item, phase: str, by: str) -> RunInterrupted:
    """Note the interruption of this case, stop the session after it, and say why it has no verdict."""
    marker = item.get_closest_marker("case")
    assert marker is not None
    item.config.stash[INTERRUPTED] = (by, marker.args[0])
    signals = item.config.stash.get(SIGNALS, None)
    if signals is not None:
        signals.stopping()  # a KeyboardInterrupt not raised by our handler
    item.session.shouldstop = f"{by} during {marker.args[0]}: the cases after it are not run"
    return RunInterrupted(f"interrupted by {by} during the case's {phase}: it did not finish, so it has no verdict")


def signal_since(config: pytest.Config, seen: int = 0) -> str | None:
    """The signal that came since `seen` signals had come (None: none)."""
    signals = config.stash.get(SIGNALS, None)
    return signals.received[-1] if signals is not None and len(signals.received) > seen else None


def run_phase(item: pytest.Item, phase: str) -> Generator[None, object, object]:
    if item.get_closest_marker("case") is None:
        return (yield)
    signals = item.config.stash.get(SIGNALS, None)
    seen = len(signals.received) if signals is not None else 0
    try:
        result = yield
    except KeyboardInterrupt as interrupt:
        if INTERRUPTED in item.config.stash:
            raise  # already interrupted: this one only leaves sooner (the session's end writes the evidence)
        raise interrupted(item, phase, signal_since(item.config, seen) or "KeyboardInterrupt") from interrupt
    by = signal_since(item.config, seen)
    if by is not None and INTERRUPTED not in item.config.stash:
        # A signal came and the case went on (something swallowed the KeyboardInterrupt):
        # whatever it concluded after that, it did not run as written.
        raise interrupted(item, phase, by)
    return result


def report_unfinished(item: pytest.Item, by: str) -> None:
    """An interrupt between two phases of the case (outside the phase wrappers): give the
    case the report it never got, or allure-pytest keeps the last one, a passed setup."""
    done = item.stash.get(PHASES, {})
    if "setup" not in done:
        phase = "setup"
    elif done["setup"] == "passed" and "call" not in done:
        phase = "call"
    else:
        phase = "teardown"  # allure-pytest makes only a passed case broken by a teardown report
    error = interrupted(item, phase, by)
    call = pytest.CallInfo.from_call(functools.partial(raise_error, error), when=phase)  # type: ignore[arg-type]
    report = item.ihook.pytest_runtest_makereport(item=item, call=call)
    item.ihook.pytest_runtest_logreport(report=report)


def raise_error(error: BaseException) -> None:
    raise error


def interruption_of(
    session: pytest.Session, stopped_by: str | None, verdicts: dict[str, tuple[str, str]]
) -> Interruption | None:
    """What stopped the run early, where, and the selected cases it never reached; None when
    nothing did (`stopped_by`: what ended the run loop early, if anything)."""
    config = session.config
    by, case_id = config.stash.get(INTERRUPTED, (None, None))
    if by is None:
        if stopped_by is None:
            return None
        # Outside a case's phases: the case whose protocol did not complete, if any.
        by, case_id = signal_since(config) or stopped_by, config.stash.get(RUNNING, None)
    reached = set(verdicts) | {case_id}
    selected = [m.args[0] for item in session.items if (m := item.get_closest_marker("case")) is not None]
    return Interruption(by, case_id, tuple(c for c in dict.fromkeys(selected) if c not in reached))


def settle_unfinished(config: pytest.Config, interruption: Interruption, verdicts: dict[str, tuple[str, str]]) -> None:
    """The last word on the case the run stopped in, over whatever its reports managed to say
    (an interrupt inside the report of the interrupt leaves allure-pytest with the passed
    setup): its result and its summary line say broken, interrupted; never passed."""
    case_id = interruption.case_id
    if case_id is None:
        return
    message = f"interrupted {interruption.cause()}: the case did not finish, so it has no verdict"
    if verdicts.get(case_id, ("passed", ""))[0] == "passed":
        verdicts[case_id] = ("broken", message)
    alluredir = config.getoption("--alluredir", None)
    if alluredir:
        for name in mark_unfinished(Path(alluredir), case_id, message):
            print(f"cot-harness: {name}: {case_id} recorded as broken, not passed: {message}")
