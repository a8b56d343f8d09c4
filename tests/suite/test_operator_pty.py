"""An operator-observed run, for real: `cot-harness run` on its own pseudo-terminal, answered
as a person at the bench answers, then the same run unattended from the answers written down.

The profile is the reference IHD with every data class observed `by: operator`; its model
(tests/suite/screen_ihd.py) publishes what its screen shows. The child is started in a new
session with the pty's slave as its controlling terminal, so /dev/tty is the pty, exactly
as for a lab engineer in a terminal or tmux. The test reads each prompt off the master,
answers it from the screen (does it show an item the question quotes for that occupier?),
and writes each answer down under the case and key the prompt names. Then the same profile
with that answers file runs without any terminal. In both, every applicable case is judged
(none broken for want of an operator) and the verdicts are those of the simulated display.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import yaml

from harness.case_record import BENCH_TIME
from harness.cli import Exit
from harness.plan import make_plan, run_order
from harness.profile import load_profile
from harness.report.results import read_cases
from tests.report.report_runs import CliRun
from tests.suite.conftest import REPO
from tests.suite.screen_ihd import SCREEN_FILE

RUN_DEADLINE_S = 300  # the whole run, start-up included, on a loaded machine
OPERATOR_CLASSES = ("consumption_history", "supplier_messages")
# What the question looks like on the terminal (harness.observe.operator); \r: the pty's ONLCR.
PROMPT = re.compile(
    r"\[(?:(?P<case>[A-Z][A-Z0-9]*-\d+) )?(?P<key>(?P<dc>[a-z_]+)\.(?P<occupier>previous|new))\]\r?\n"
    r"(?:[^\r\n]*\r?\n)*?"
    r"Does the [^\r\n]* show the (?P=occupier) occupier's [^\r\n]*\? It (?:looked|looks) like: (?P<looks>[^\r\n]*)\r?\n"
    r"Answer yes or no: "
)
INSTRUCTION = re.compile(r"\[(?:(?P<case>[A-Z][A-Z0-9]*-\d+) )?(?P<key>[a-z_]+)\] [^\r\n]*\r?\nPress Enter")


def _profile(tmp_path: Path, answers: Path | None = None) -> Path:
    data = yaml.safe_load((REPO / "device_profiles" / "sim-ihd.yaml").read_text())
    data["identity"]["model"] = "Screen IHD"
    data["simulation"]["model"] = "tests.suite.screen_ihd:ScreenIHD"
    data["observe"] = {dc: {"by": "operator", "prompt": f"Open the {dc} screen."} for dc in OPERATOR_CLASSES}
    if answers is not None:
        data["answers_file"] = str(answers)
    path = tmp_path / ("answered.yaml" if answers else "operator.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _command(profile: Path, alluredir: Path) -> list[str]:
    return [sys.executable, "-m", "harness.cli", "run", "--profile", str(profile), "--alluredir", str(alluredir)]


def _bench_seconds(alluredir: Path) -> float:
    """The run's bench time: the sum of its cases' bench time measurements."""
    return sum(float(case.parameters.get(f"{BENCH_TIME} (s)", 0.0)) for case in read_cases(alluredir).values())


def _statuses(alluredir: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in alluredir.rglob("*-result.json"):  # wherever in its results folder the run put them
        result = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in result.get("labels", [])}
        if "as_id" in labels:
            found[labels["as_id"]] = result["status"]
    return found


# CLR-05 asks a person at clear_within itself (never at the end of a longer wait), so an
# operator-observed unit is timed like any other: nothing is exempt.
OPERATOR_CANNOT_TIME: frozenset[str] = frozenset()


def _as_judged(verdicts: dict[str, str]) -> dict[str, str]:
    return {
        case: ("judged" if case in OPERATOR_CANNOT_TIME and status in ("passed", "failed") else status)
        for case, status in verdicts.items()
    }


def _shown(screen: Path, data_class: str, looks: str) -> bool:
    """The operator's truthful answer: does the screen show an item the question quotes?"""
    quoted: set[tuple[str, str]] = set()
    if not looks.startswith("no "):  # "no <class> (the harness served none to this occupier)"
        for group in looks.split("; "):
            fuel, _, items = group.partition(" ")
            items = re.sub(r" \(and \d+ more\)$", "", items)
            quoted.update((fuel, words) for words in items.split(", "))
    on_screen = json.loads(screen.read_text(encoding="utf-8"))[data_class]
    return any((fuel, words) in quoted for fuel, words in on_screen)


def _operate(profile: Path, alluredir: Path, screen: Path) -> tuple[int, str, dict[tuple[str | None, str], list[str]]]:
    """Run the suite on a pty as its controlling terminal and answer every prompt."""
    master, slave = os.openpty()
    env = {**os.environ, SCREEN_FILE: str(screen), "TERM": "dumb"}
    child = subprocess.Popen(
        _command(profile, alluredir),
        cwd=REPO,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,  # setsid: no controlling terminal until the next line
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # noqa: PLW1509 (the pty becomes /dev/tty)
    )
    os.close(slave)
    written: dict[tuple[str | None, str], list[str]] = {}
    text, seen = "", 0
    deadline = time.monotonic() + RUN_DEADLINE_S
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the run did not finish within {RUN_DEADLINE_S} s; its terminal:\n{text[-3000:]}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every slave closed, the run is over
                break
            if not chunk:
                break
            text += chunk.decode("utf-8", errors="replace")
            while True:
                question = PROMPT.search(text, seen)
                instruction = INSTRUCTION.search(text, seen)
                if question is not None and (instruction is None or question.start() < instruction.start()):
                    reply = "yes" if _shown(screen, question["dc"], question["looks"]) else "no"
                    written.setdefault((question["case"], question["key"]), []).append(reply)
                    seen = question.end()
                elif instruction is not None:  # not expected (the bench is by simulation), but a person would
                    reply = "done"
                    written.setdefault((instruction["case"], instruction["key"]), []).append(reply)
                    seen = instruction.end()
                else:
                    break
                os.write(master, f"{reply}\n".encode())
        code = child.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    return code, text, written


def _answers_file(path: Path, written: dict[tuple[str | None, str], list[str]]) -> Path:
    """What the engineer writes down after the interactive run: each case's answers under its ID."""
    data: dict[str, object] = {}
    for (case, key), replies in written.items():
        if case is None:
            data[key] = replies
        else:
            data.setdefault(case, {})[key] = replies  # type: ignore[union-attr]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference_verdicts(reference_cli_run: CliRun) -> dict[str, str]:
    """The same device observed by simulation: what an honest operator must reproduce. The
    session's `cot-harness run` of the reference IHD (ScreenIHD is that model plus a screen
    file, written only where $COT_TEST_SCREEN names one): the operator's verdicts must be the
    reference's."""
    done = reference_cli_run.done
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return _statuses(reference_cli_run.alluredir)


def test_operator_answers_on_the_controlling_terminal_then_unattended(
    tmp_path: Path, reference_verdicts: dict[str, str]
) -> None:
    screen = tmp_path / "screen.json"
    code, terminal, written = _operate(_profile(tmp_path), tmp_path / "interactive" / "allure-results", screen)
    verdicts = _statuses(tmp_path / "interactive" / "allure-results")
    assert written, f"no operator prompt reached the terminal:\n{terminal[-3000:]}"
    broken = {case: status for case, status in verdicts.items() if status == "broken"}
    assert not broken, f"cases broken with an operator at the terminal: {broken}\n{terminal[-3000:]}"
    assert _as_judged(verdicts) == _as_judged(reference_verdicts)  # as the simulation judges them
    failed = "failed" in verdicts.values()
    assert code == (Exit.DEVICE_FAILED if failed else Exit.OK), terminal[-3000:]
    asked = {case for case, _ in written}
    assert None not in asked, "every question is asked within a case, and names it"
    assert {"CLR-01", "CLR-04"} <= asked  # type: ignore[operator]

    # Unattended: the answers written down, no terminal at all (a new session, stdin closed).
    answers = _answers_file(tmp_path / "answers.yaml", written)
    profile = _profile(tmp_path, answers)
    checked = subprocess.run(
        [sys.executable, "-m", "harness.cli", "profile", "validate", str(profile)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    done = subprocess.run(
        _command(profile, tmp_path / "unattended" / "allure-results"),
        cwd=REPO,
        env={**os.environ, SCREEN_FILE: str(tmp_path / "screen-unattended.json")},
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert "Answer yes or no" not in output  # nothing asked: every answer came from the file
    unattended = _statuses(tmp_path / "unattended" / "allure-results")
    assert unattended == verdicts, output[-3000:]  # the same answers, the same verdicts
    assert done.returncode == code, output[-3000:]

    # What the lab books: the plan's bench time is the operator-observed run's within 10 %
    # (a person asked at each precondition's start, not only when its 24 h are up).
    plan = make_plan(load_profile(profile), run_order(profile), soak=False)
    measured = _bench_seconds(tmp_path / "unattended" / "allure-results")
    assert measured > 0 and abs(plan.total_seconds - measured) <= 0.10 * measured, (
        f"plan {plan.total_seconds:.0f} s, the operator-observed run {measured:.0f} s of bench time"
    )
