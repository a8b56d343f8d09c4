"""Fault variants of the meters under test for the ROB cases, and their rows of the matrix.

Each class breaks what ROB-01/02 require of a DM server (it stays responsive and clears, or
changes, nothing on malformed frames; it answers every one of a burst of identical requests)
by overriding one hook of the reference meter (harness.sim.devices.meter).
"""

from __future__ import annotations

from harness.sim.air import AirFrame
from harness.sim.devices.meter import MeterCot, ReferenceEsme, ReferenceGpf
from harness.sim.variants.spec import ESME, GPF, VariantSpec, _v
from harness.zcl import ids
from harness.zcl.codec import ZclDecodeError, ZclFrame

DM, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.PREPAYMENT


class SwallowsFrameAfterTruncatedLogRequest(ReferenceEsme):
    """Its Prepayment parser, left waiting for the rest of a truncated request, takes the
    next ZCL frame as that rest and drops it: the request after a truncated one goes unanswered."""

    waiting_for_rest = False

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if frame.cluster_id == PREPAYMENT:
            self.waiting_for_rest = True
        super().on_malformed(frame, error)

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if self.waiting_for_rest:
            self.waiting_for_rest = False
            return
        super().on_zcl(frame, zcl)


class AdoptsCotSentToServer(ReferenceGpf):
    """Takes a Publish Change of Tenancy sent to it (a server's own command, from a HAN client)
    as its own CoT: it publishes that Issuer Event ID afterwards."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.cluster_id == DM and zcl.command_name == "publish_change_of_tenancy":
            self.cot = MeterCot(int(zcl.fields["issuer_event_id"]), int(zcl.fields["implementation_date_time"]))
        super().on_zcl(frame, zcl)


class DropsGetCotBeyondQueue(ReferenceEsme):
    """Queues Get Change of Tenancy requests four deep and takes 0.5 s over each: one arriving
    while four wait is dropped (the ESI cases ask one at a time and never fill the queue)."""

    depth, service_s = 4, 0.5
    waiting = 0

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.cluster_id != DM or zcl.command_name != "get_change_of_tenancy":
            super().on_zcl(frame, zcl)
            return
        if self.waiting >= self.depth:
            return
        self.waiting += 1

        def serve() -> None:
            self.waiting -= 1
            ReferenceEsme.on_zcl(self, frame, zcl)

        self.world.clock.call_later(self.service_s * self.waiting, serve)


ROWS: tuple[VariantSpec, ...] = (
    _v(SwallowsFrameAfterTruncatedLogRequest, ESME, "ROB-01"),
    _v(
        AdoptsCotSentToServer,
        GPF,
        "ROB-01",
        may_fail=("ESI-01",),
        why="the CoT it adopted in ROB-01 (which runs first) is no longer the declared earlier one "
        "(behaviour.prior_issuer_event_id) that ESI-01 expects",
    ),
    _v(DropsGetCotBeyondQueue, ESME, "ROB-02"),
)
