"""The bench loop: one event loop for the session, waits that are conditions with deadlines.

zigpy needs one running event loop for the whole session while pytest cases come and go,
so the loop runs in a background thread and case bodies stay synchronous: Allure steps and
attachments are emitted from the case's own thread (allure-pytest does not follow asyncio
tasks). Every wait is "until this condition, or this deadline" on the world's clock; when
the world is quiet (simulation: nothing in flight), time jumps to the deadline, so a
24-hour device timer costs no real time. On a lab bench the world is never quiet and the
condition is re-checked every poll interval. The harness's own simulation runs the loop itself
on the world's clock (harness.bench.event_time): zigpy's timers and the world's are one
timeline, and time moves only when nothing else can happen.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from harness.bench.event_time import EventTimeLoop, EventTimeWorld
from harness.bench.han import Clock

T = TypeVar("T")

# Real seconds a wait may go on past its own timeout while the world never settles. A loop on
# the world's time (harness.bench.event_time) needs it: its time moves only when nothing else
# can happen, so a world that stays busy (a hang, a serial link that lost a frame) would hold
# a wait for ever. A busy stretch in a live run lasts milliseconds, so no load reaches it by
# accident.
BUSY_MARGIN_S = 60.0


class Loop(Protocol):
    """What cases and collaborators use of the loop."""

    def now(self) -> float: ...

    def stamp(self) -> float: ...

    def run_coroutine(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T: ...

    def call_on_loop(self, fn: Callable[[], T]) -> T: ...

    async def until(self, condition: Callable[[], T | None], timeout: float, what: str, jump: bool = True) -> T: ...

    def wait_for(self, condition: Callable[[], T | None], timeout: float, what: str) -> T: ...

    def hold(self, seconds: float, what: str) -> None: ...


class BenchLoop:
    def __init__(
        self,
        clock: Clock,
        *,
        quiet: Callable[[], bool],
        advance_to: Callable[[float], None],
        poll_interval: float,
        check: Callable[[], None] = lambda: None,
        event_world: EventTimeWorld | None = None,
    ) -> None:
        self.clock = clock
        self._check = check  # raises when the world can no longer be trusted (Han.check_world)
        self._quiet = quiet
        self._advance_to = advance_to
        self._poll = poll_interval
        # The harness's own simulation: the loop keeps the world's time (event_time's docstring).
        self._event_loop = EventTimeLoop(event_world) if event_world is not None else None
        self._loop: asyncio.AbstractEventLoop = self._event_loop or asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-loop", daemon=True)

    # -- life ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def on_loop(self) -> bool:
        """Is the caller the loop's own thread (where a blocking run() would deadlock)?"""
        return threading.current_thread() is self._thread

    # -- running things on the loop -----------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def stamp(self) -> float:
        """The time of a frame the tap records (Clock.stamp)."""
        return self.clock.stamp()

    def run_coroutine(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the loop from a case's thread.

        When the case stops waiting early (Ctrl-C or SIGTERM raise KeyboardInterrupt here, or
        the timeout ends), the coroutine is cancelled: left running, it would go on driving
        the bench (jumping the clock, asking observers) while the run tears down."""
        if self._event_loop is not None:
            coro = self._event_loop.held(coro)  # someone waits on the loop: time may pass
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def call_on_loop(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the loop (simulated state is only touched there)."""

        async def wrapper() -> T:
            return fn()

        return self.run_coroutine(wrapper())

    # -- waiting --------------------------------------------------------------------------
    async def _settled(self) -> bool:
        """Quiet now and still quiet after one pass of the event loop: a coroutine that a
        just-parsed answer made ready gets its turn before the clock may jump."""
        if not self._quiet():
            return False
        one_pass = self._loop.create_future()
        self._loop.call_soon(one_pass.set_result, None)
        await one_pass
        return self._quiet()

    async def until(self, condition: Callable[[], T | None], timeout: float, what: str, jump: bool = True) -> T:
        """Until condition() is truthy (its value is returned) or TimeoutError at the deadline.

        `jump=False`: the world's clock never jumps to the deadline (zigpy's own work in real
        time, its interview); the deadline is kept in real seconds as well. On a loop that
        keeps the world's time (event_time) every wait is the same: the clock moves from
        event to event, the deadline one of them, so `jump` has nothing left to choose."""
        if self._event_loop is not None:
            return await self._until_event(self._event_loop, condition, timeout, what)
        deadline = self.now() + timeout
        # jump=False: the deadline in real seconds as well (a remote emulator's clock may stand).
        real_deadline = time.monotonic() + timeout + (BUSY_MARGIN_S if jump else 0.0)
        while True:
            self._check()
            result = condition()
            if result:
                return result
            if self.now() >= deadline or time.monotonic() >= real_deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s")
            if jump and await self._settled():
                # While settling, a device timer due in real time may have fired and
                # changed what the condition reads without making anything busy (a
                # display cleared by its own timer): look again before time jumps, or
                # the change would be stamped at the next timer or the deadline.
                result = condition()
                if result:
                    return result
                # Nothing is in flight: only a device timer can change anything now. What
                # the timer sends makes the world busy, so the next pass waits for it.
                self._advance_to(deadline)
                continue
            await asyncio.sleep(min(self._poll, max(0.0, deadline - self.now())))

    async def _until_event(
        self, loop: EventTimeLoop, condition: Callable[[], T | None], timeout: float, what: str
    ) -> T:
        """`until` on the world's time: look, then wait for the world to change; the deadline is
        a timer of the loop's, so time stops there if nothing comes first."""
        deadline = loop.time() + timeout
        # The deadline in real seconds, reached first only by a world that never settles (a
        # hang): BUSY_MARGIN_S past the timeout.
        real_deadline = time.monotonic() + timeout + BUSY_MARGIN_S
        alarm = loop.call_at(deadline, _nothing)
        try:
            while True:
                self._check()
                result = condition()
                if result:
                    return result
                if loop.time() >= deadline or time.monotonic() >= real_deadline:
                    raise TimeoutError(f"{what}: not within {timeout:g} s")
                await loop.look_again(real_deadline)
        finally:
            alarm.cancel()

    def wait_for(self, condition: Callable[[], T | None], timeout: float, what: str) -> T:
        """Sync form for cases; the condition runs on the loop."""
        return self.run_coroutine(self.until(condition, timeout, what))

    def hold(self, seconds: float, what: str) -> None:
        """Let `seconds` of bench time pass (virtual in simulation)."""
        try:
            self.wait_for(lambda: None, seconds, what)
        except TimeoutError:
            return


def _nothing() -> None:
    """A wait's deadline on the loop: a timer whose only work is to be an event."""


def elapsed(started: float) -> float:
    """Real seconds since `started` (time.monotonic), for bench start-up figures."""
    return time.monotonic() - started
