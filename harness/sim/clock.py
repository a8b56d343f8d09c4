"""Virtual time for the simulated HAN.

The simulated world runs with real time so that ordinary exchanges take the milliseconds
they take, and the harness can jump it forward so that a 24-hour query interval or a
scheduled Change of Tenancy is tested in milliseconds. Device timers are kept here, never
on the event loop directly, so that a jump fires them in order at their own virtual times.
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
    """Unix-seconds clock = real monotonic progress + an offset the harness advances."""

    def __init__(self, start: float | None = None) -> None:
        self._origin = time.time() if start is None else start
        self._mono0 = time.monotonic()
        self._offset = 0.0
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
        return self._origin + (time.monotonic() - self._mono0) + self._offset

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

    def _fire_due(self) -> int:
        fired = 0
        now = self.now()
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
        """Keep one real event-loop timer for the earliest virtual timer."""
        if self._loop is None:
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
