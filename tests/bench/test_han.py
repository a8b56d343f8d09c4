"""The HAN facade: a lab bench is never quiet and cannot be touched; the terminal opens."""

from __future__ import annotations

import asyncio
import os
import pty

import pytest
import yaml

from harness.bench.han import LabHan, open_han
from harness.errors import BenchError
from harness.observe.terminal import operator_terminal
from harness.profile import parse_profile
from tests.suite.conftest import REPO


def _lab_profile() -> object:
    data = yaml.safe_load((REPO / "device_profiles" / "template-real-ihd.yaml").read_text())
    return parse_profile(data, source=REPO / "device_profiles" / "template-real-ihd.yaml")


def test_a_lab_bench_is_never_quiet_and_its_unit_cannot_be_touched() -> None:
    han = open_han(_lab_profile())  # type: ignore[arg-type]
    assert isinstance(han, LabHan)
    assert not han.quiet() and not han.virtual_time and han.display() is None and han.environment() == {}
    assert asyncio.run(han.start()) == _lab_profile().radio.path  # type: ignore[attr-defined]
    with pytest.raises(BenchError, match="not simulated"):
        han.act_on_unit("power_cycle")
    with pytest.raises(BenchError):
        han.advance_to(0)


def test_air_faults_on_a_real_radio_are_refused() -> None:
    with pytest.raises(BenchError, match="--air"):
        open_han(_lab_profile(), air="loss=0.1")  # type: ignore[arg-type]


def test_the_simulation_says_so_in_the_environment() -> None:
    data = yaml.safe_load((REPO / "device_profiles" / "sim-ihd.yaml").read_text())
    han = open_han(parse_profile(data))
    assert han.virtual_time and "emulated" in han.environment()
    with pytest.raises(BenchError, match="--air"):
        open_han(parse_profile(data), air="loss=2")


def test_the_operator_terminal_opens_a_real_tty_for_reading_and_writing() -> None:
    controller, terminal = pty.openpty()
    try:
        typed, shown = operator_terminal(os.ttyname(terminal))
        assert typed is not None and shown is not None
        shown.write("Is the previous occupier's history shown? ")
        shown.flush()
        assert b"history shown" in os.read(controller, 200)
        os.write(controller, b"no\n")
        assert typed.readline() == "no\n"
        typed.close()
        shown.close()
    finally:
        os.close(controller)
        os.close(terminal)


def test_no_terminal_means_no_operator_terminal(tmp_path: object) -> None:
    assert operator_terminal(str(tmp_path) + "/no-such-tty") == (None, None)
