"""Virtual time for the simulated HAN.

Device timers are kept here, never on the event loop directly, so that a jump fires them in
order at their own virtual times: a 24-hour query interval or a scheduled Change of Tenancy
is tested in milliseconds. The clock runs in one of two ways:

- stepped (the harness's own simulation, in its process): time moves only when the bench
  moves it. The bench's event loop keeps this clock's time (harness.bench.event_time), so
  zigpy's timers and the world's are one timeline and time moves to the next event only when
  nothing else can happen. Nothing the machine does in real time (zigpy-znp parsing, the
  curve arithmetic, a loaded CPU) moves a timer against another, so a profile, a model and
  an air seed give the same frames at the same virtual times, and the same verdicts, on any
  machine under any load.
- real (a standalone emulator, `cot-harness emulate`): real monotonic progress plus an
  offset the harness advances, with a real event-loop timer for the earliest device timer,
  so a stick that no harness controls still keeps time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.sim.model_faults import ModelFaults


# How far a stepped clock moves on either side of a frame the harness's tap records (stamp):
# 1 ms a frame, less than any Smart Energy frame's air time with its acknowledgement (a
# 30-octet MPDU alone takes 1.15 ms at 250 kbit/s). What it buys: a frame's time is strictly
# later than any time read before it and strictly earlier than any read after it, so a case's
# "since" (a time taken before its stimulus) never counts an earlier frame as an answer.
FRAME_TICK_S = 0.0005


@dataclass(order=True)
class _Timer:
    due: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class TimerHandle:
    def __init__(self, timer: _Timer) -> None:
        self._timer = timer

    @property
    def due(self) -> float:
        return self._timer.due

    def cancel(self) -> None:
        self._timer.cancelled = True


class VirtualClock:
    """Unix-seconds clock: its origin plus the jumps the harness made (`stepped`), or plus
    real monotonic progress as well (the module's docstring says when each)."""

    def __init__(self, start: float | None = None, *, stepped: bool = False) -> None:
        if start is None:
            # A stepped clock starts at a whole second: every time it gives is then the same
            # float function of the jumps made, whatever the second (the run is repeated to
            # the microsecond); a fractional origin would round each sum its own way.
            start = float(int(time.time())) if stepped else time.time()
        self._origin = start
        self._mono0 = time.monotonic()
        self._offset = 0.0
        self.stepped = stepped
        self._timers: list[_Timer] = []
        self._order = itertools.count()
        # Set by the simulated world: a timer's exception is kept there, not raised into a wait.
        self.model_faults: ModelFaults | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._armed: asyncio.TimerHandle | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Timers fire on this loop (the simulated world's)."""
        self._loop = loop
        self._arm()

    def now(self) -> float:
        if self.stepped:
            return self._origin + self._offset
        return self._origin + (time.monotonic() - self._mono0) + self._offset

    def elapsed(self) -> float:
        """Seconds since the origin, as the bench's event loop keeps time on a stepped clock
        (harness.bench.event_time): exactly the sum of the moves, with no origin rounded in."""
        return self._offset if self.stepped else self.now() - self._origin

    def elapsed_at(self, when: float) -> float:
        """A time of this clock (a timer's due) as elapsed seconds."""
        return when - self._origin

    def step_elapsed(self, to: float) -> None:
        """Fire the next timer if it is due by `to` (elapsed seconds), else move the clock to
        exactly `to`: one event of the bench's event loop (harness.bench.event_time)."""
        due = self.next_due()
        if due is not None and self.elapsed_at(due) <= to:
            self._jump(due)
            self._fire_due(due)
        elif to > self._offset:
            self._offset = to
        self._arm()

    def stamp(self) -> float:
        """The time of a frame as the tap records it: on a stepped clock, FRAME_TICK_S after
        the time before it and FRAME_TICK_S before the time after it; on a real-time one, now
        (real time moves by itself)."""
        if not self.stepped:
            return self.now()
        self._offset += FRAME_TICK_S
        at = self.now()
        self._offset += FRAME_TICK_S
        return at

    def call_at(self, due: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _Timer(due, next(self._order), callback)
        heapq.heappush(self._timers, timer)
        self._arm()
        return TimerHandle(timer)

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return self.call_at(self.now() + delay, callback)

    def next_due(self) -> float | None:
        self._drop_cancelled()
        return self._timers[0].due if self._timers else None

    def advance_to(self, target: float) -> int:
        """Jump to `target`, firing due timers one at a time at their own virtual time.

        Returns the number of timers fired. Each callback sees now() == its due time, so
        what it sends is stamped when it was meant to happen. Callers that need the
        consequences of one timer settled before the next fires use step_to().
        """
        fired = 0
        while (due := self.next_due()) is not None and due <= target:
            self._jump(due)
            fired += self._fire_due()
        if target > self.now():
            self._jump(target)
        self._arm()
        return fired

    def step_to(self, target: float) -> bool:
        """Jump to the earlier of `target` and the next timer and fire what is due then.

        Returns True when a timer fired (the caller lets its consequences settle and
        calls again), False when the clock reached `target` with nothing left to fire.
        """
        due = self.next_due()
        if due is not None and due <= target:
            self._jump(due)
            self._fire_due()
            self._arm()
            return True
        if target > self.now():
            self._jump(target)
        self._arm()
        return False

    def _jump(self, when: float) -> None:
        ahead = when - self.now()
        if ahead > 0:
            self._offset += ahead

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)

    def _fire_due(self, due: float | None = None) -> int:
        fired = 0
        # `due`: the timer just jumped to fires even if origin plus offset rounds a hair short of it.
        now = self.now() if due is None else max(self.now(), due)
        while self._timers and self._timers[0].due <= now:
            timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                fired += 1
                if self.model_faults is None:
                    timer.callback()
                else:
                    self.model_faults.guard("a simulated timer", timer.callback)
        return fired

    def _arm(self) -> None:
        """Keep one real event-loop timer for the earliest virtual timer (real mode only: a
        stepped clock's timers fire only when the bench steps to them)."""
        if self._loop is None or self.stepped:
            return
        if self._armed is not None:
            self._armed.cancel()
            self._armed = None
        due = self.next_due()
        if due is not None:
            self._armed = self._loop.call_later(max(0.0, due - self.now()), self._on_real_timer)

    def _on_real_timer(self) -> None:
        self._armed = None
        self._fire_due()
        self._arm()
