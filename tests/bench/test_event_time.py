"""The bench's event loop on the simulated world's clock (harness.bench.event_time): the host's
timers (zigpy's sleeps and timeouts) and the world's are one timeline, whatever the machine's
speed, and time stands still while nobody waits on the loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from harness.bench.loop import BenchLoop
from harness.sim.clock import VirtualClock


class World:
    """A world of timers only (SimulationFacade's part of EventTimeWorld, on a real VirtualClock)."""

    def __init__(self) -> None:
        self.clock = VirtualClock(start=1_700_000_000.0, stepped=True)
        self.in_flight = False  # a frame on the serial link: time may not pass

    def elapsed(self) -> float:
        return self.clock.elapsed()

    def next_event(self) -> float | None:
        due = self.clock.next_due()
        return None if due is None else self.clock.elapsed_at(due)

    def step(self, to: float) -> None:
        self.clock.step_elapsed(to)

    def time_may_pass(self) -> bool | None:
        return not self.in_flight


def _bench_loop(world: World) -> BenchLoop:
    loop = BenchLoop(
        world.clock, quiet=lambda: False, advance_to=lambda t: None, poll_interval=0.002, event_world=world
    )
    loop.start()
    return loop


def test_host_sleeps_and_world_timers_happen_in_virtual_order_at_their_own_time() -> None:
    """zigpy-znp's route discovery sleeps 1.3 s: the world's timers before and after it fire
    first and last, each at its own time, and the sleep ends at 1.3 s of the world's time. On a
    loop that kept real time the sleep would end wherever the machine's speed put it."""
    world = World()
    loop = _bench_loop(world)
    order: list[tuple[str, float]] = []
    try:
        world.clock.call_later(1.0, lambda: order.append(("world 1.0", world.clock.elapsed())))
        world.clock.call_later(2.0, lambda: order.append(("world 2.0", world.clock.elapsed())))

        async def host() -> None:
            await asyncio.sleep(1.3)
            order.append(("host 1.3", world.clock.elapsed()))
            await asyncio.sleep(10)  # past the world's timers: the clock goes on to it
            order.append(("host 11.3", world.clock.elapsed()))

        started = time.monotonic()
        loop.run_coroutine(host(), timeout=30)
        assert time.monotonic() - started < 5, "11.3 s of the world's time took real seconds"
    finally:
        loop.close()
    assert [name for name, _ in order] == ["world 1.0", "host 1.3", "world 2.0", "host 11.3"]
    assert [at for _, at in order] == pytest.approx([1.0, 1.3, 2.0, 11.3], abs=1e-6)


def test_time_stands_still_while_nobody_waits_and_while_a_frame_is_on_its_way() -> None:
    world = World()
    loop = _bench_loop(world)
    fired: list[float] = []
    try:
        world.clock.call_later(0.5, lambda: fired.append(world.clock.elapsed()))
        # Nobody waits on the loop: a timer of the host's own does not make time pass.
        loop.call_on_loop(lambda: asyncio.get_running_loop().call_later(0.2, lambda: None))
        time.sleep(0.3)  # the case thread at work between two steps (real time, on purpose)
        assert fired == [] and loop.call_on_loop(world.clock.elapsed) == 0.0
        # A frame on its way: a wait holds the loop, but time still stands until it is parsed.
        world.in_flight = True
        waiting = threading.Thread(target=loop.hold, args=(1.0, "a second"))
        waiting.start()
        waiting.join(timeout=0.3)
        assert waiting.is_alive() and fired == []
        world.in_flight = False
        loop.call_on_loop(lambda: None)  # any I/O wakes the loop (here the case thread's call)
        waiting.join(timeout=10)
        assert not waiting.is_alive()
    finally:
        loop.close()
    assert fired == pytest.approx([0.5])
    assert world.clock.elapsed() == pytest.approx(1.0)


def test_a_wait_ends_at_its_deadline_exactly_and_sees_a_timer_s_change_at_once() -> None:
    world = World()
    loop = _bench_loop(world)
    changed: list[bool] = []
    try:
        world.clock.call_later(7.25, lambda: changed.append(True))
        seen_at = loop.wait_for(lambda: world.clock.elapsed() if changed else None, 60, "the change")
        assert seen_at == pytest.approx(7.25)  # not at the next timer, not at the deadline
        with pytest.raises(TimeoutError):
            loop.wait_for(lambda: None, 3600, "nothing")
        assert loop.call_on_loop(world.clock.elapsed) == 7.25 + 3600
    finally:
        loop.close()
