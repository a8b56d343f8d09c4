"""Simulated IHDs that make the run wait in real time, so it can be interrupted at a known point.

In simulation a 25 h observation window costs milliseconds: the bench jumps the virtual
clock whenever the air is quiet. These models keep one delivery "in flight" forever from
a chosen moment, so the world never settles and the bench waits in real time, as on a lab
bench. They touch the file named by $COT_TEST_STALLED when they stall, so a test signals
the run exactly there. Test-only: they break docs/device-models.md's "no real time" on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.zcl.codec import ZclFrame

STALLED_FILE = "COT_TEST_STALLED"


class _Stalls(ReferenceIHD):
    stalled = False

    def stall(self) -> None:
        if self.stalled:
            return
        self.stalled = True
        self.world.air.in_flight += 1  # never delivered: the bench's waits now run in real time
        marker = os.environ.get(STALLED_FILE)
        if marker:
            Path(marker).write_text(type(self).__name__, encoding="utf-8")


class StallsOnRepeatedCot(_Stalls):
    """Stalls on a CoT it has already actioned: NEG-02's stimulus, so its window is watched in
    real time (any earlier case gets only new CoTs)."""

    def on_pushed_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meter_of(frame)
        if meter is not None and not self.is_new_event(int(zcl.fields["issuer_event_id"]), self.scope_of(meter)):
            self.stall()
        super().on_pushed_cot(frame, zcl)


class StallsBeforeJoining(_Stalls):
    """Powers on and never joins, with the air busy: the bench's start (BENCH-01's setup) waits
    timings.poll.after_join in real time."""

    def power_on(self) -> None:
        self.powered = True
        self.stall()
