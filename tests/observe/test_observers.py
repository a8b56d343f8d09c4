"""Observers other than the simulation: each either makes a real observation or is bench trouble."""

from __future__ import annotations

import io
import json
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.domain import DataClass, Fuel
from harness.errors import BenchError, ObserverError
from harness.esi.tenant import Tenant
from harness.observe.command import CommandObserver
from harness.observe.factory import build_observers
from harness.observe.operator import Answers, OperatorObserver, looks_like
from harness.observe.simulation import SimulationObserver
from harness.observe.zcl import ZclObserver
from harness.profile import CommandHook, ZclRead, parse_profile
from harness.report.redact import REDACTED

REPO = Path(__file__).resolve().parents[2]
CH = DataClass.CONSUMPTION_HISTORY
TODAY, YESTERDAY = 0x0401, 0x0403

# Values unique across both occupiers, as the real tenants' are.
PREVIOUS = Tenant(
    name="previous occupier",
    records={CH: {Fuel.ELECTRICITY: ((TODAY, 70111), (YESTERDAY, 70222)), Fuel.GAS: ((TODAY, 50111),)}},
)
NEW = Tenant(name="new occupier", records={CH: {Fuel.ELECTRICITY: ((TODAY, 1234),)}})


class Clock:
    """Bench time that moves one second per reading."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- command -----------------------------------------------------------------------------------


def command(tmp_path: Path, body: str, timeout: timedelta = timedelta(seconds=30)) -> CommandHook:
    script = tmp_path / "uut_probe.py"
    script.write_text("import json, os, sys\n" + textwrap.dedent(body))
    return CommandHook(by="command", command=[sys.executable, str(script)], timeout=timeout)


def failure(observer: CommandObserver) -> str:
    with pytest.raises(ObserverError) as caught:
        observer.observe(CH, PREVIOUS, NEW)
    assert isinstance(caught.value, BenchError)  # reported broken, never failed or passed
    return str(caught.value)


def test_command_items_are_judged_against_the_occupiers(tmp_path: Path) -> None:
    # The probe shows what it is asked about: the previous occupier's electricity history.
    hook = command(
        tmp_path,
        """
        q = json.load(sys.stdin)
        shown = [i for i in q["previous"]["items"] if i[0] == "electricity"]
        print(json.dumps({"items": shown, "detail": os.environ["COT_DATA_CLASS"] + " " + q["data_class"]}))
        """,
    )
    seen = CommandObserver(hook, Clock()).observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new) == (True, False)
    assert seen.items == {("electricity", TODAY, 70111), ("electricity", YESTERDAY, 70222)}
    assert seen.data_class is CH
    assert "2 item(s) shown, 2 of the previous occupier's, 0 of the new" in seen.detail
    assert "it said: consumption_history consumption_history" in seen.detail


def test_command_question_lists_both_occupiers(tmp_path: Path) -> None:
    hook = command(tmp_path, 'print(json.dumps({"items": [], "detail": sys.stdin.read()}))')
    seen = CommandObserver(hook, Clock()).observe(CH, PREVIOUS, NEW)
    asked = json.loads(seen.detail.split("it said: ", 1)[1])
    assert asked["data_class"] == "consumption_history"
    assert asked["new"] == {"name": "new occupier", "items": [["electricity", TODAY, 1234]]}
    assert ["gas", TODAY, 50111] in asked["previous"]["items"]
    assert (seen.shows_previous, seen.shows_new, seen.items) == (False, False, frozenset())


def test_command_yes_no_form(tmp_path: Path) -> None:
    hook = command(tmp_path, 'print(json.dumps({"shows_previous": False, "shows_new": True, "detail": "menu 2"}))')
    clock = Clock()
    seen = CommandObserver(hook, clock).observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new, seen.items) == (False, True, None)
    assert seen.at == clock.t  # stamped when the answer was in, the latest it can describe
    assert "previous occupier's consumption_history shown: no" in seen.detail
    assert "new occupier's: yes" in seen.detail and "menu 2" in seen.detail


def test_command_runs_in_the_profile_folder(tmp_path: Path) -> None:
    command(tmp_path, 'print(json.dumps({"shows_previous": True, "shows_new": False, "detail": os.getcwd()}))')
    hook = CommandHook(by="command", command=[sys.executable, "uut_probe.py"])  # relative to cwd
    seen = CommandObserver(hook, Clock(), cwd=tmp_path).observe(CH, PREVIOUS, NEW)
    assert str(tmp_path.resolve()) in seen.detail


def test_command_non_zero_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COT_LAB_TOKEN", "hunter2-from-the-environment")
    hook = command(
        tmp_path,
        """
        sys.stderr.write("relay board not found\\n" + "x" * 500)
        print(json.dumps({"shows_previous": False, "shows_new": True}))  # must not count
        sys.exit(3)
        """,
    )
    message = failure(CommandObserver(hook, Clock()))
    assert sys.executable in message and "exited with code 3" in message
    assert "stderr: relay board not found xxx" in message
    assert "x" * 201 not in message  # the first 200 characters of stderr only
    assert "hunter2" not in message


def test_command_timeout_kills_it_and_its_children(tmp_path: Path) -> None:
    # It blocks on a pipe nobody writes, and so does a child holding its stdout open.
    hook = command(
        tmp_path,
        """
        import subprocess
        subprocess.Popen([sys.executable, "-c", "import os; r, w = os.pipe(); os.read(r, 1)"])
        sys.stderr.write("waiting for the display\\n")
        sys.stderr.flush()
        r, w = os.pipe()
        os.read(r, 1)
        """,
        timeout=timedelta(milliseconds=500),
    )
    message = failure(CommandObserver(hook, Clock()))
    assert sys.executable in message
    assert "did not finish within its timeout (0.5 s)" in message


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("hello", "did not print JSON"),
        ("", "did not print JSON"),
        ("[1, 2]", "printed a JSON list"),
        ('{"items": [["electricity", "0x403", 70222]]}', "items.0.1: Input should be a valid integer"),
        ('{"items": [["water", 1027, 70222]]}', "items.0.0: Input should be 'electricity' or 'gas'"),
        ('{"items": [["gas", 1027]]}', "items.0.2: Field required"),
        ('{"shows_previous": "no", "shows_new": true}', "shows_previous: Input should be a valid boolean"),
        ('{"shows_previous": 0, "shows_new": true}', "shows_previous: Input should be a valid boolean"),
        ('{"shows_previous": false}', "shows_new: Field required"),
        ('{"shows_previous": false, "shows_new": true, "cleared": true}', "cleared: Extra inputs"),
        ('{"items": [], "shows_previous": false}', "shows_previous: Extra inputs"),
    ],
)
def test_command_output_must_be_one_of_the_two_forms(tmp_path: Path, printed: str, expected: str) -> None:
    hook = command(tmp_path, f"sys.stdout.write({printed!r})")
    message = failure(CommandObserver(hook, Clock()))
    assert expected in message
    assert sys.executable in message


def test_command_that_cannot_start(tmp_path: Path) -> None:
    hook = CommandHook(by="command", command=["./no-such-probe", "--screen", "history"])
    message = failure(CommandObserver(hook, Clock(), cwd=tmp_path))
    assert "cannot run the observe command ./no-such-probe" in message and str(tmp_path) in message


def test_command_stderr_is_redacted(tmp_path: Path) -> None:
    hook = command(tmp_path, 'sys.stderr.write("joining with key 0123456789abcdef"); sys.exit(1)')
    message = failure(CommandObserver(hook, Clock(), secrets=["0123456789abcdef", "89abcdef"]))
    assert "0123456789abcdef" not in message and "89abcdef" not in message
    assert f"joining with key {REDACTED}" in message


# --- operator ----------------------------------------------------------------------------------


def operator(
    typed: str | None = None, answers: Answers | None = None, prompt: str | None = "Open History."
) -> tuple[OperatorObserver, io.StringIO]:
    shown = io.StringIO()
    terminal = (io.StringIO(typed), shown) if typed is not None else None
    return OperatorObserver({CH: prompt}, answers, terminal, Clock(), display="Example IHD"), shown


def answers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_operator_on_a_terminal() -> None:
    observer, shown = operator("y\nNo\n")
    seen = observer.observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new, seen.items) == (True, False, None)
    assert "previous occupier's consumption history shown: yes (terminal)" in seen.detail
    screen = shown.getvalue()
    assert "[consumption_history.previous]\nOpen History.\n" in screen
    assert (
        "Does the Example IHD show the previous occupier's consumption history? It looked like: "
        "electricity today 70111 Wh, yesterday 70222 Wh; gas today 50.111 m³"
    ) in screen
    assert "show the new occupier's consumption history? It looks like: electricity today 1234 Wh" in screen


def test_operator_is_asked_again_after_an_unclear_answer() -> None:
    observer, shown = operator("maybe\n\nYES\n  n \n")
    seen = observer.observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new) == (True, False)
    assert "Please answer y, yes, n or no (got 'maybe')" in shown.getvalue()
    assert "(got '')" in shown.getvalue()


def test_operator_terminal_closing_is_not_an_answer() -> None:
    observer, _ = operator("y\n")  # nothing typed for the second question
    with pytest.raises(ObserverError, match="terminal closed .* consumption_history.new"):
        observer.observe(CH, PREVIOUS, NEW)


def test_operator_answers_file_is_consumed_in_order(tmp_path: Path) -> None:
    path = answers_file(
        tmp_path,
        """
        consumption_history.previous: [yes, Y, no]
        consumption_history.new: [no, n, YES]
        """,
    )
    observer, _ = operator(answers=Answers.load(path))
    looks = [observer.observe(CH, PREVIOUS, NEW) for _ in range(3)]
    assert [(o.shows_previous, o.shows_new) for o in looks] == [(True, False), (True, False), (False, True)]
    assert f"{path} entry consumption_history.previous[2]" in looks[2].detail
    with pytest.raises(ObserverError) as caught:
        observer.observe(CH, PREVIOUS, NEW)
    assert "operator answer needed for consumption_history.previous but no terminal" in str(caught.value)
    assert str(path) in str(caught.value)


def test_operator_falls_back_to_the_terminal_when_the_file_runs_out(tmp_path: Path) -> None:
    path = answers_file(tmp_path, "consumption_history.previous: [yes]\nconsumption_history.new: [no]\n")
    observer, _ = operator("n\ny\n", answers=Answers.load(path))
    first, second = observer.observe(CH, PREVIOUS, NEW), observer.observe(CH, PREVIOUS, NEW)
    assert (first.shows_previous, second.shows_previous) == (True, False)
    assert "(terminal)" in second.detail and "(terminal)" not in first.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("consumption_history.previous: [yes, maybe]\n", "entry consumption_history.previous[1]: expected y"),
        ("consumption_history.previous: [yes, true]\n", "entry consumption_history.previous[1]"),
        ("consumption_history.previous: yes\n", "expected a mapping of question keys to lists"),
        ("- yes\n", "expected a mapping of question keys to lists"),
        ("consumtion_history.previous: [yes]\n", "unknown key 'consumtion_history.previous'"),
        ("consumption_history.old: [yes]\n", "unknown key 'consumption_history.old'"),
        ("consumption_history: [yes]\n", "use consumption_history.previous"),
        ("instructions: [done, yes]\n", "entry instructions[1]: expected done"),
        ("consumption_history.new: [no]\nconsumption_history.new: [yes]\n", "found the key"),
        ("consumption_history.new: [no\n", "not valid YAML"),
    ],
)
def test_operator_bad_answers_file(tmp_path: Path, text: str, expected: str) -> None:
    path = answers_file(tmp_path, text)
    with pytest.raises(ObserverError) as caught:
        Answers.load(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_operator_with_neither_terminal_nor_answers() -> None:
    observer, _ = operator()
    with pytest.raises(ObserverError, match="no terminal and no answer in an answers file"):
        observer.observe(CH, PREVIOUS, NEW)


def test_operator_only_answers_for_its_data_classes() -> None:
    observer, _ = operator("y\ny\n")
    with pytest.raises(ObserverError, match="observe.supplier_messages is not by operator"):
        observer.observe(DataClass.SUPPLIER_MESSAGES, PREVIOUS, NEW)


def test_operator_instructions(tmp_path: Path) -> None:
    observer, shown = operator("later\n\nabort\n")
    assert observer.instruct("Power-cycle the IHD.") > 0
    assert "[instructions] Power-cycle the IHD." in shown.getvalue()
    with pytest.raises(ObserverError, match="could not carry out the bench step: Unplug it."):
        observer.instruct("Unplug it.")

    path = answers_file(tmp_path, "instructions: [Done]\npower_control: [done]\n")
    scripted, _ = operator(answers=Answers.load(path))
    scripted.instruct("Power-cycle the IHD.")
    scripted.instruct("Power-cycle the IHD.", key="power_control")
    with pytest.raises(ObserverError, match="operator answer needed for instructions but no terminal"):
        scripted.instruct("Power-cycle the IHD.")
    with pytest.raises(ValueError, match="not an instruction key"):
        scripted.instruct("Power-cycle the IHD.", key="consumption_history.previous")


def test_shipped_answers_example_loads() -> None:
    answers = Answers.load(REPO / "device_profiles" / "answers" / "answers.example.yaml")
    assert answers.take("consumption_history.previous") is None  # filed under CLR-01 only
    assert answers.take("consumption_history.previous", "CLR-01") is not None
    assert answers.remaining()["CLR-07 instructions"] == 1
    assert answers.cases == {"CLR-01", "CLR-02", "CLR-07"}


def test_operator_answers_keyed_by_case_go_to_that_case_first(tmp_path: Path) -> None:
    path = answers_file(
        tmp_path,
        """
        CLR-01:
          consumption_history.previous: [yes, no]
          consumption_history.new: [no, yes]
        consumption_history.previous: [Y]
        consumption_history.new: [N]
        """,
    )
    observer, shown = operator(answers=Answers.load(path))
    observer.case = "CLR-07"  # no answers of its own: the flat ones, in the run's order
    flat = observer.observe(CH, PREVIOUS, NEW)
    assert (flat.shows_previous, flat.shows_new) == (True, False)
    assert f"{path} entry consumption_history.previous[0]" in flat.detail
    observer.case = "CLR-01"
    looks = [observer.observe(CH, PREVIOUS, NEW) for _ in range(2)]
    assert [(o.shows_previous, o.shows_new) for o in looks] == [(True, False), (False, True)]
    assert f"{path}, case CLR-01, entry consumption_history.previous[1]" in looks[1].detail
    with pytest.raises(ObserverError) as caught:  # both used up: the error names file, case and key
        observer.observe(CH, PREVIOUS, NEW)
    message = str(caught.value)
    assert "operator answer needed for consumption_history.previous in case CLR-01 but no terminal" in message
    assert f"{path} (none left under CLR-01: consumption_history.previous" in message
    assert Answers.load(path).remaining() == {
        "CLR-01 consumption_history.previous": 2,
        "CLR-01 consumption_history.new": 2,
        "consumption_history.previous": 1,
        "consumption_history.new": 1,
    }


def test_operator_prompt_names_the_case_and_the_key() -> None:
    observer, shown = operator("y\nn\n")
    observer.case = "CLR-01"
    observer.observe(CH, PREVIOUS, NEW)
    assert "[CLR-01 consumption_history.previous]\nOpen History.\n" in shown.getvalue()
    assert "[CLR-01 consumption_history.new]" in shown.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "CLR-01:\n  consumption_history.previous: [yes, maybe]\n",
            ", case CLR-01, entry consumption_history.previous[1]: expected y",
        ),
        ("CLR-01:\n  consumtion_history.previous: [yes]\n", ", case CLR-01: unknown key 'consumtion_history.previous'"),
        (
            "CLR-01:\n  consumption_history.previous: yes\n",
            ", case CLR-01, entry consumption_history.previous: expected a list",
        ),
        ("clr-01:\n  consumption_history.previous: [yes]\n", "'clr-01' holds a mapping but is not a case ID"),
        ("CLR-01:\n  consumption_history.new: [no]\n  consumption_history.new: [yes]\n", "found the key"),
    ],
)
def test_operator_bad_case_answers(tmp_path: Path, text: str, expected: str) -> None:
    path = answers_file(tmp_path, text)
    with pytest.raises(ObserverError) as caught:
        Answers.load(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_looks_like_is_short() -> None:
    history = {0x0401: 1, 0x0403: 2, 0x0420: 3, 0x0422: 4, 0x0430: 5}
    many = Tenant("x", {CH: {Fuel.ELECTRICITY: tuple(history.items())}})
    assert looks_like(CH, many.items(CH)) == ("electricity today 1 Wh, yesterday 2 Wh, 2 days ago 3 Wh (and 2 more)")
    assert looks_like(CH, frozenset()).startswith("no consumption history")


# --- zcl ---------------------------------------------------------------------------------------


def zcl(value: object, endpoint: int | None = None) -> tuple[ZclObserver, list[tuple[int, int, int]]]:
    reads: list[tuple[int, int, int]] = []

    def read(cluster: int, attribute: int, endpoint: int) -> object:
        reads.append((cluster, attribute, endpoint))
        return value

    spec = ZclRead(by="zcl", cluster=0x0702, attribute=YESTERDAY, endpoint=endpoint)
    return ZclObserver(read, spec, 1, Fuel.ELECTRICITY, Clock()), reads


@pytest.mark.parametrize(
    ("value", "shows_previous", "shows_new"),
    [(70222, True, False), (1234, False, False), (0, False, False), (None, False, False)],
)
def test_zcl_value_is_judged(value: object, shows_previous: bool, shows_new: bool) -> None:
    observer, reads = zcl(value)
    seen = observer.observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new) == (shows_previous, shows_new)
    assert reads == [(0x0702, YESTERDAY, 1)]  # the default endpoint
    assert "cluster 0x0702 attribute 0x0403 on endpoint 1" in seen.detail


def test_zcl_today_of_the_new_occupier() -> None:
    spec = ZclRead(by="zcl", cluster=0x0702, attribute=TODAY)
    seen = ZclObserver(lambda *_: 1234, spec, 1, "electricity", Clock()).observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new) == (False, True)


def test_zcl_endpoint_and_errors() -> None:
    observer, reads = zcl(70222, endpoint=7)
    observer.observe(CH, PREVIOUS, NEW)
    assert reads == [(0x0702, YESTERDAY, 7)]

    with pytest.raises(ObserverError, match="expected an integer"):
        zcl(b"\x01")[0].observe(CH, PREVIOUS, NEW)

    def unreachable(*_: int) -> object:
        raise ObserverError("no response from the unit")

    spec = ZclRead(by="zcl", cluster=0x0702, attribute=TODAY)
    with pytest.raises(ObserverError, match="no response"):
        ZclObserver(unreachable, spec, 1, "electricity", Clock()).observe(CH, PREVIOUS, NEW)


# --- factory -----------------------------------------------------------------------------------


def reference() -> dict[str, Any]:
    return yaml.safe_load((REPO / "device_profiles" / "sim-ihd.yaml").read_text())


def real(observe: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = reference()
    data["radio"]["path"] = "/dev/ttyACM0"
    del data["simulation"]
    data["bench"] = {}  # by: simulation needs sim://
    data["stores"] = list(observe)
    data["observe"] = observe
    return {**data, **extra}


def fake_read(cluster: int, attribute: int, endpoint: int) -> object:
    return 70222


class BlankDisplay:
    """A simulated unit's display showing nothing."""

    def displayed(self, data_class: DataClass) -> frozenset[Any]:
        return frozenset()

    def subscribe(self, watcher: Any) -> None:
        return None


def test_factory_simulation() -> None:
    profile = parse_profile(reference())
    simulation = SimulationObserver(BlankDisplay(), Clock())
    observers = build_observers(profile, simulation=simulation, zcl_read=None, now=Clock())
    assert set(observers) == set(profile.observe) and CH in observers
    assert all(observer is simulation for observer in observers.values())
    with pytest.raises(ObserverError, match="observe.consumption_history is by simulation"):
        build_observers(profile, simulation=None, zcl_read=None, now=Clock())


def test_factory_builds_one_observer_per_entry(tmp_path: Path) -> None:
    answers = answers_file(tmp_path, "top_up_history.previous: [yes]\ntop_up_history.new: [no]\n")
    data = real(
        {
            "consumption_history": {"by": "command", "command": ["read-ihd", "history"], "timeout": "5s"},
            "top_up_history": {"by": "operator", "prompt": "Open Top-ups."},
            "debt_recovery": {"by": "operator"},
            "supplier_messages": {"by": "zcl", "cluster": "0x0703", "attribute": 0, "endpoint": 2},
        },
        answers_file="answers.yaml",  # relative to the profile's folder
    )
    profile = parse_profile(data, source=tmp_path / "ihd.yaml")
    observers = build_observers(profile, simulation=None, zcl_read=fake_read, now=Clock(), stdin=io.StringIO())
    assert isinstance(observers[CH], CommandObserver)
    assert observers[CH].program == "read-ihd"
    assert isinstance(observers[DataClass.TOP_UP_HISTORY], OperatorObserver)
    assert observers[DataClass.DEBT_RECOVERY] is observers[DataClass.TOP_UP_HISTORY]  # one answers cursor
    assert isinstance(observers[DataClass.SUPPLIER_MESSAGES], ZclObserver)

    # The operator reads the resolved answers file; stdin is no tty, so nothing is asked.
    seen = observers[DataClass.TOP_UP_HISTORY].observe(DataClass.TOP_UP_HISTORY, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new) == (True, False)
    assert str(answers) in seen.detail
    with pytest.raises(ObserverError, match="no terminal"):
        observers[DataClass.DEBT_RECOVERY].observe(DataClass.DEBT_RECOVERY, PREVIOUS, NEW)


def test_factory_command_runs_in_the_profile_folder(tmp_path: Path) -> None:
    command(tmp_path, 'print(json.dumps({"shows_previous": True, "shows_new": True, "detail": os.getcwd()}))')
    data = real({"consumption_history": {"by": "command", "command": [sys.executable, "uut_probe.py"]}})
    profile = parse_profile(data, source=tmp_path / "ihd.yaml")
    observers = build_observers(profile, simulation=None, zcl_read=None, now=Clock())
    assert str(tmp_path.resolve()) in observers[CH].observe(CH, PREVIOUS, NEW).detail


def test_factory_operator_uses_a_terminal_when_there_is_one() -> None:
    profile = parse_profile(real({"consumption_history": {"by": "operator", "prompt": "Open History."}}))
    shown = io.StringIO()
    observers = build_observers(
        profile, simulation=None, zcl_read=None, now=Clock(), stdin=Tty("yes\nno\n"), stdout=shown
    )
    seen = observers[CH].observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.shows_new) == (True, False)
    assert "Does the Reference IHD show the previous occupier's" in shown.getvalue()


def test_factory_zcl_needs_a_reader() -> None:
    profile = parse_profile(real({"consumption_history": {"by": "zcl", "cluster": 0x0702, "attribute": 0x0403}}))
    with pytest.raises(ObserverError, match="observe.consumption_history is by zcl"):
        build_observers(profile, simulation=None, zcl_read=None, now=Clock())
    observers = build_observers(profile, simulation=None, zcl_read=fake_read, now=Clock())
    seen = observers[CH].observe(CH, PREVIOUS, NEW)
    assert (seen.shows_previous, seen.items) == (True, {("electricity", 0x0403, 70222)})


def test_command_non_json_quotes_stderr(tmp_path: Path) -> None:
    hook = command(tmp_path, 'print("Traceback: no display found", file=sys.stderr); print("ok")')
    message = failure(CommandObserver(hook, Clock()))
    assert "did not print JSON" in message and "stderr: Traceback: no display found" in message
