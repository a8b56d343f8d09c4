"""Simulated IHDs that answer the bench's Read Attributes (Basic) late or never: BENCH-01's
ping over a noisy air (tests/suite/test_bench_ping.py)."""

from __future__ import annotations

from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.zcl.codec import ZclFrame


class MissesTheFirstPing(ReferenceIHD):
    """Does not answer the first Read Attributes of Basic's ZCL version (the bench's ping;
    zigpy's interview reads other Basic attributes), as if it had been lost on the air;
    answers every later one."""

    missed = 0

    def answer_basic(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if list(zcl.fields.get("attribute_ids", [])) == [0x0000] and self.missed < 1:  # type: ignore[call-overload]
            self.missed += 1
            return
        super().answer_basic(frame, zcl)


class NeverAnswersBasic(ReferenceIHD):
    """Joins, queries and shows its data, but never answers Read Attributes (Basic)."""

    def answer_basic(self, frame: AirFrame, zcl: ZclFrame) -> None:
        return
