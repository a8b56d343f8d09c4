"""The bench's event loop on the simulated world's clock: one timeline for zigpy, zigpy-znp
and the simulated HAN.

zigpy and zigpy-znp keep time on their event loop: a retry 0.1 s after a lost frame, a route
discovery that sleeps 1.3 s, zigpy-znp's 5 s wait for a joining device's announcement, every
request's timeout. When that loop keeps real time while the simulated world keeps virtual
time, the two timelines meet wherever the machine happens to be: a loaded machine lets the
world step further during zigpy's 1.3 s sleep than an idle one, and one air seed gives two
different runs (measured: the reference IHD at `loss=0.1,jitter=200ms`, seed 7, three runs
side by side on a busy machine; the third answered zigpy's Node_Desc_req after the unit's
prepayment read instead of before it).

Here the loop's clock *is* the world's (VirtualClock.elapsed): a discrete-event simulation.
Time moves only when nothing else can happen:
- no callback is ready and no file descriptor has anything to read (the loop would block),
- nothing is on its way between the host and the world (`EventTimeWorld.time_may_pass`: every
  MT frame either side wrote has been parsed, no delivery is queued on the air),
- every wait (BenchLoop.until) has looked at the world since it last changed,
- and someone is waiting on the loop (a coroutine the cases or the bench started through
  `held`): between two steps of a case the clock stands still, so nothing the case thread
  does at its own speed lets a device timer fire earlier or later.
Then the clock moves to the next event, the loop's own earliest timer or the world's, and
that event happens; nothing ever fires early or late, and the machine's speed never decides
an order. A world that never settles (a hang) is caught by the waits' real-time bound
(harness.bench.loop.BUSY_MARGIN_S).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import selectors
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Real seconds the loop blocks for I/O while time may not move (a frame on the serial link, a
# case thread working between its steps) before it looks again: any I/O, or a call from the
# case thread (call_soon_threadsafe writes the loop's self-pipe), wakes it at once.
IDLE_WAIT_S = 0.05
# Before the host's side of the serial link is counted (zigpy-znp's start-up, before
# Han.bind_host), the world cannot say whether a frame is still on its way: time may pass
# once the loop has had nothing to read for this long. A pty delivers through the kernel's
# flip buffers, a moment after the write; start-up is request and answer throughout, so all
# this guards is a request's own timeout fired before its answer was read. Forming a blank
# stick waits on zigpy-znp's 1 s sleeps a few times; a formed one waits on none.
UNCOUNTED_SETTLE_S = 0.1


class EventTimeWorld(Protocol):
    """What the loop needs of the simulated world (harness.sim.facade.SimulationFacade)."""

    def elapsed(self) -> float:
        """Virtual seconds since the world's clock started: the loop's time."""
        ...

    def next_event(self) -> float | None:
        """When (elapsed seconds) the world's next timer is due; None: it has none."""
        ...

    def step(self, to: float) -> None:
        """Fire the world's next timer if it is due by `to`, else move the clock to `to`."""
        ...

    def time_may_pass(self) -> bool | None:
        """Nothing is on its way between the host and the world (True), something is (False),
        or the world cannot tell yet (None: UNCOUNTED_SETTLE_S)."""
        ...


class _IdleSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The loop's selector: where the loop would block, it asks `on_idle` first."""

    on_idle: Callable[[], bool] | None = None
    changes = 0  # how often anything happened: I/O, or the clock moved
    quiet_since = 0.0  # real time (monotonic) of the last select that found something to read

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout == 0 or self.on_idle is None:  # the loop has work ready: never idle
            ready = super().select(timeout)
        else:
            ready = super().select(0)
            if not ready:
                if self.on_idle():
                    return ready
                ready = super().select(IDLE_WAIT_S)
        if ready:
            self.changes += 1
            self.quiet_since = time.monotonic()
        return ready


@dataclass
class _Look:
    seen: int  # the selector's `changes` when the wait last looked
    real_deadline: float
    future: asyncio.Future[None]


class EventTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, world: EventTimeWorld) -> None:
        self._idle_selector = _IdleSelector()
        super().__init__(self._idle_selector)
        self._world = world
        self._timers: list[tuple[float, int, asyncio.TimerHandle]] = []
        self._order = itertools.count()
        self._holders = 0
        self._looks: list[_Look] = []
        self._idle_selector.on_idle = self._on_idle

    def time(self) -> float:
        return self._world.elapsed()

    def call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        # Every timer (call_later, asyncio.sleep and asyncio.timeout all come here) is also kept
        # in a heap of our own: the next one is where time moves to.
        handle = super().call_at(when, callback, *args, context=context)
        heapq.heappush(self._timers, (when, next(self._order), handle))
        return handle

    async def held(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro`; while it runs, someone waits on the loop, so time may pass."""
        self._holders += 1
        try:
            return await coro
        finally:
            self._holders -= 1

    async def look_again(self, real_deadline: float) -> None:
        """Return when the world has changed since now (or real time reached `real_deadline`)."""
        look = _Look(self._idle_selector.changes, real_deadline, self.create_future())
        self._looks.append(look)
        try:
            await look.future
        finally:
            if look in self._looks:
                self._looks.remove(look)

    def _next_timer(self) -> float | None:
        timers = self._timers
        while timers and timers[0][2].cancelled():
            heapq.heappop(timers)
        # On the loop's idle path every live timer is still ahead (a due one makes the loop
        # select without waiting, which never reaches `_on_idle`); fired ones are dropped here.
        now = self.time()
        while timers and timers[0][0] <= now:
            heapq.heappop(timers)
            while timers and timers[0][2].cancelled():
                heapq.heappop(timers)
        return timers[0][0] if timers else None

    def _on_idle(self) -> bool:
        """The loop would block: wake the waits that have not looked since the last change;
        else let time pass to the next event when it may. True when something is to run."""
        changes, now_real = self._idle_selector.changes, time.monotonic()
        stale = [look for look in self._looks if look.seen != changes or look.real_deadline <= now_real]
        if stale:
            for look in stale:
                self._looks.remove(look)
                if not look.future.done():
                    look.future.set_result(None)
            return True
        if not self._holders:
            return False
        may = self._world.time_may_pass()
        if may is None:
            may = now_real - self._idle_selector.quiet_since >= UNCOUNTED_SETTLE_S
        if not may:
            return False
        events = [t for t in (self._next_timer(), self._world.next_event()) if t is not None]
        if not events:
            return False
        self._world.step(min(events))
        self._idle_selector.changes += 1
        return True
