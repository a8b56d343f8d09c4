"""An exception in the simulated world's own code (a device model's frame handler or timer)
ends the waiting case broken, naming it and where it was raised: never failed (a model's
AssertionError is not the device's), never passed, never lost to the event loop's log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.errors import BenchError, SimulationFault
from harness.selftest import Entry, run_entries
from harness.sim.air import Air, AirFrame
from harness.sim.clock import VirtualClock
from harness.sim.model_faults import ModelFaults


def test_a_guarded_call_keeps_the_exception_with_where_it_was_raised() -> None:
    faults = ModelFaults()

    def broken() -> None:
        raise KeyError("meter")

    faults.guard("node 0x1234 receiving a frame", broken)
    faults.guard("fine", lambda: None)
    (only,) = faults.take()
    assert only.startswith("node 0x1234 receiving a frame: KeyError: 'meter' (raised at ")
    assert "test_model_faults.py" in only and "in broken" in only
    assert faults.take() == []  # each is reported once


def test_a_timer_that_raises_is_kept_and_the_next_timer_still_fires() -> None:
    clock = VirtualClock(start=1_000.0)
    clock.model_faults = ModelFaults()
    fired: list[str] = []

    def crash() -> None:
        raise ValueError("model bug")

    clock.call_later(5, crash)
    clock.call_later(6, lambda: fired.append("next"))
    clock.advance_to(clock.now() + 10)  # no exception reaches the caller (a case's wait)
    assert fired == ["next"]
    (raised,) = clock.model_faults.take()
    assert raised.startswith("a simulated timer: ValueError: model bug")


def test_a_node_that_raises_on_receiving_is_kept_and_the_air_goes_on() -> None:
    class Crashy:
        nwk = 0x1234
        got = 0

        def receive(self, frame: AirFrame) -> None:
            self.got += 1
            raise RuntimeError("handler bug")

    async def body() -> list[str]:
        air = Air(asyncio.get_running_loop())
        air.model_faults = ModelFaults()
        node = Crashy()
        air._nodes[node.nwk] = node  # noqa: SLF001 - attached as the air attaches a node
        air._deliver_now(node, None)  # type: ignore[arg-type]  # noqa: SLF001
        air._deliver_now(node, None)  # type: ignore[arg-type]  # noqa: SLF001
        assert node.got == 2
        return air.model_faults.take()

    raised = asyncio.run(body())
    assert len(raised) == 2 and all("node 0x1234 receiving a frame: RuntimeError: handler bug" in r for r in raised)


def test_a_simulation_fault_is_a_bench_error() -> None:
    assert issubclass(SimulationFault, BenchError)


@pytest.mark.xdist_group("meter-runs")
def test_a_model_that_raises_breaks_the_cases_it_reaches_and_fails_none(tmp_path: Path) -> None:
    entry = Entry("crashing IHD", "sim-ihd.yaml", "tests.sim.crashing_ihd:CrashesOnPublishCot", None)
    (outcome,) = run_entries([entry], tmp_path, [], jobs=1)
    verdicts = outcome.verdicts
    assert verdicts, outcome.output
    assert "failed" not in verdicts.values(), {c: v for c, v in verdicts.items() if v == "failed"}
    broken = sorted(c for c, v in verdicts.items() if v == "broken")
    assert "DM-01" in broken, verdicts  # the first CoT the unit is sent
    assert outcome.results is not None
    texts = "".join(p.read_text(errors="replace") for p in outcome.results.glob("*-result.json"))
    # the case says what raised, and where: the model's handler, by name
    assert "the simulation's own code raised" in texts and "in on_publish_cot" in texts
