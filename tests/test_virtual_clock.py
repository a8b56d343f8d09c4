"""The virtual clock: device timers fire in order, each at its own virtual time."""

from __future__ import annotations

import asyncio
import time

from harness.sim.clock import FRAME_TICK_S, VirtualClock


def test_advance_fires_timers_in_order_at_their_own_time() -> None:
    clock = VirtualClock(start=1_000_000.0)
    fired: list[tuple[str, float]] = []
    t0 = clock.now()
    clock.call_at(t0 + 7200, lambda: fired.append(("2h", clock.now())))
    clock.call_at(t0 + 3600, lambda: fired.append(("1h", clock.now())))
    assert clock.advance_to(t0 + 86400) == 2
    assert [name for name, _ in fired] == ["1h", "2h"]
    assert abs(fired[0][1] - (t0 + 3600)) < 0.05 and abs(fired[1][1] - (t0 + 7200)) < 0.05
    assert clock.now() >= t0 + 86400


def test_step_to_stops_at_the_next_timer() -> None:
    clock = VirtualClock(start=0.0)
    fired: list[float] = []
    t0 = clock.now()
    clock.call_later(60, lambda: fired.append(clock.now()))
    assert clock.step_to(t0 + 3600) is True  # stopped at the timer
    assert len(fired) == 1 and clock.now() < t0 + 61
    assert clock.step_to(t0 + 3600) is False  # nothing left: reached the target
    assert clock.now() >= t0 + 3600


def test_cancelled_timer_never_fires_and_real_time_timers_run_on_the_loop() -> None:
    async def scenario() -> list[str]:
        clock = VirtualClock()
        clock.bind(asyncio.get_running_loop())
        fired: list[str] = []
        done = asyncio.Event()
        clock.call_later(3600, lambda: fired.append("cancelled")).cancel()
        clock.call_later(0.001, lambda: (fired.append("soon"), done.set()))
        await asyncio.wait_for(done.wait(), timeout=5)
        return fired

    assert asyncio.run(scenario()) == ["soon"]


def test_a_stepped_clock_moves_only_when_stepped_and_starts_at_a_whole_second() -> None:
    clock = VirtualClock(stepped=True)
    t0 = clock.now()
    assert t0 == int(t0)
    spin = time.monotonic() + 0.02
    while time.monotonic() < spin:  # real time passes: the stepped clock does not see it
        pass
    assert clock.now() == t0
    clock.step_to(t0 + 5)
    assert clock.now() == t0 + 5


def test_a_stepped_clock_never_fires_a_timer_in_real_time() -> None:
    async def scenario() -> list[str]:
        clock = VirtualClock(stepped=True)
        clock.bind(asyncio.get_running_loop())
        fired: list[str] = []
        clock.call_later(0.001, lambda: fired.append("due"))
        await asyncio.sleep(0.05)
        before = list(fired)
        clock.step_to(clock.now() + 1)
        return [*before, "stepped", *fired]

    assert asyncio.run(scenario()) == ["stepped", "due"]


def test_a_frame_stamp_is_apart_from_every_time_read_before_and_after_it() -> None:
    clock = VirtualClock(stepped=True)
    before = clock.now()
    stamp = clock.stamp()
    after = clock.now()
    assert before < stamp < after
    assert abs(stamp - before - FRAME_TICK_S) < 1e-6 and abs(after - stamp - FRAME_TICK_S) < 1e-6
    real = VirtualClock()
    assert abs(real.stamp() - real.now()) < 0.01  # a real-time clock stamps now


def test_elapsed_steps_are_exact_and_fire_the_timer_they_reach() -> None:
    """The bench's event loop keeps elapsed() as its time: a move to a host timer lands on it
    exactly, and a step that reaches a device timer fires it at its own time."""
    clock = VirtualClock(start=1_700_000_000.0, stepped=True)
    arrived: list[float] = []
    clock.call_later(0.15, lambda: arrived.append(clock.elapsed()))
    clock.step_elapsed(0.1)  # a host timer first: the clock lands on it, nothing fires
    assert clock.elapsed() == 0.1 and arrived == []
    clock.step_elapsed(0.2)  # the device timer is due first: it fires at 0.15
    # (its due is kept as a Unix time: to within that float's 0.24 µs step at this origin)
    assert len(arrived) == 1 and abs(arrived[0] - 0.15) < 1e-6 and abs(clock.elapsed() - 0.15) < 1e-6
    assert clock.next_due() is None
