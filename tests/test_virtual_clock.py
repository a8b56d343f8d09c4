"""The virtual clock: device timers fire in order, each at its own virtual time."""

from __future__ import annotations

import asyncio

from harness.sim.clock import VirtualClock


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
