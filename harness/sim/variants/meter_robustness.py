"""Fault variants of the meters under test for the ROB cases, and their rows of the matrix.

Each class breaks what ROB-01/02 require of a DM server (it stays responsive and clears, or
changes, nothing on malformed frames; it answers every one of a burst of identical requests)
by overriding one hook of the reference meter (harness.sim.devices.meter).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.sim.air import AirFrame
from harness.sim.devices.meter import LastMessage, MeterCot, ReferenceEsme, ReferenceGpf
from harness.sim.variants.spec import ESME, GPF, VariantSpec, _v
from harness.zcl import ids
from harness.zcl.codec import ZclDecodeError, ZclFrame
from harness.zcl.history_periods import Period

DM, MESSAGING, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.MESSAGING, ids.PREPAYMENT
PAYMENT_CONTROL_CONFIGURATION = 0x0000  # Prepayment, bitmap16 (the reference meters do not serve it)


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


# The next four damage the occupier's data on a malformed or unknown frame. Each damage leaves the
# data served (a record fewer or altered, another message, another configuration), not gone: the
# shared CoT trigger's precondition (testcases/meter_cot.py: the previous occupier's logs and last
# message served) still holds after ROB-01, which runs first, and the CoT withholds or clears
# what was damaged, so ESI-01..07 judge the meter as they judge the reference and only ROB-01's
# before-and-after comparison sees the damage.


def _unknown(zcl: ZclFrame, cluster: int) -> bool:
    """A client-to-server command of `cluster` the harness's definitions do not name."""
    return zcl.cluster_id == cluster and zcl.command_name.startswith("unknown_")


class MalformedPrepaymentDropsTopUpRecord(ReferenceEsme):
    """Its Prepayment parser, given a request it cannot decode, still advances its top-up log's
    read pointer: the latest top-up record is lost (the log served one record short)."""

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if frame.cluster_id == PREPAYMENT and len(self.top_ups) > 1:
            self.top_ups = self.top_ups[1:]
        super().on_malformed(frame, error)


class UnknownPrepaymentCommandAltersDebtLog(ReferenceGpf):
    """Takes an unknown Prepayment command for a debt adjustment: every debt record's
    outstanding debt is rewritten from the frame's first payload octets."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if _unknown(zcl, PREPAYMENT):
            outstanding = int.from_bytes(zcl.trailing[:4].ljust(4, b"\0"), "little")
            self.debts = [d.replace(outstanding_debt=outstanding) for d in self.debts]
        super().on_zcl(frame, zcl)


class UnknownMessagingCommandReplacesLastMessage(ReferenceEsme):
    """Takes an unknown Messaging command for a Display Message: its last message is replaced by
    one read from the frame (message ID from its first payload octets, no text), dated now."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if _unknown(zcl, MESSAGING):
            message_id = int.from_bytes(zcl.trailing[:4].ljust(4, b"\0"), "little")
            self.last_message = LastMessage(message_id, self.zcl_now(), "")
        super().on_zcl(frame, zcl)


class MalformedPrepaymentResetsPaymentControl(ReferenceGpf):
    """Serves Prepayment's Payment Control Configuration (credit mode, disconnection enabled) and
    resets it to 0 on a Prepayment request it cannot decode."""

    payment_control = 0x0003

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if frame.cluster_id == PREPAYMENT:
            self.payment_control = 0
        super().on_malformed(frame, error)

    def attribute_table(self, cluster: int) -> dict[int, tuple[foundation.DataTypeId, object]]:
        table = super().attribute_table(cluster)
        if cluster == PREPAYMENT:
            table[PAYMENT_CONTROL_CONFIGURATION] = (foundation.DataTypeId.map16, self.payment_control)
        return table


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
    _v(MalformedPrepaymentDropsTopUpRecord, ESME, "ROB-01"),
    _v(UnknownPrepaymentCommandAltersDebtLog, GPF, "ROB-01"),
    _v(UnknownMessagingCommandReplacesLastMessage, ESME, "ROB-01"),
    _v(MalformedPrepaymentResetsPaymentControl, GPF, "ROB-01"),
)


MESSAGE_CONFIRMATION, GET_MESSAGE_CANCELLATION = 0x01, 0x02  # Messaging client-to-server command IDs


def _truncated_messaging(frame: AirFrame, command_id: int) -> bool:
    """A Messaging frame that did not decode, of `command_id` (its header's third octet)."""
    return frame.cluster_id == MESSAGING and len(frame.payload) >= 3 and frame.payload[2] == command_id


class HangsOnTruncatedMessageConfirmation(ReferenceEsme):
    """A Message Confirmation cut short (an IHD's confirm losing its tail to a lost fragment)
    wedges its Messaging task, which holds the one ZCL queue it shares with Device Management and
    Prepayment: the meter answers no ZCL request from then on."""

    wedged = False

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if _truncated_messaging(frame, MESSAGE_CONFIRMATION):
            self.wedged = True
        super().on_malformed(frame, error)

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if not self.wedged:
            super().on_zcl(frame, zcl)


class SwallowsFrameAfterTruncatedGetMessageCancellation(ReferenceGpf):
    """Its Messaging parser, left waiting for the rest of a truncated Get Message Cancellation,
    takes the next ZCL frame (of any cluster) as that rest and drops it: the request after one
    goes unanswered."""

    waiting_for_rest = False

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if _truncated_messaging(frame, GET_MESSAGE_CANCELLATION):
            self.waiting_for_rest = True
        super().on_malformed(frame, error)

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if self.waiting_for_rest:
            self.waiting_for_rest = False
            return
        super().on_zcl(frame, zcl)


ROWS += (
    _v(
        HangsOnTruncatedMessageConfirmation,
        ESME,
        "ROB-01",
        may_fail=("ROB-02", "ESI-01", "ESI-02", "ESI-03", "ESI-04", "ESI-05", "ESI-06", "ESI-07"),
        why="wedged by ROB-01's truncated Message Confirmation (ROB-01 runs first), the meter answers no request "
        "after it: every later case meets its silence",
    ),
    _v(SwallowsFrameAfterTruncatedGetMessageCancellation, GPF, "ROB-01"),
)


class MalformedPrepaymentFrameZeroesCostHistory(ReferenceEsme):
    """Its Prepayment parser's scratch buffer overlaps the cost-history accumulators: a
    Prepayment frame that does not decode zeroes the previous day's, week's and month's cost,
    the occupier's history cleared without a CoT."""

    zeroed = False

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if frame.cluster_id == ids.PREPAYMENT:
            self.zeroed = True
        super().on_malformed(frame, error)

    def day_cost(self, start: int, end: int) -> int:
        return 0 if self.zeroed else super().day_cost(start, end)

    def period_cost(self, period: Period, start: int, end: int) -> int:
        return 0 if self.zeroed else super().period_cost(period, start, end)


ROWS += (
    _v(
        MalformedPrepaymentFrameZeroesCostHistory,
        ESME,
        "ROB-01",
        broken=("ESI-02", "ESI-03", "ESI-04", "ESI-05", "ESI-06", "ESI-07"),
        why="its cost history zeroed by ROB-01 (which runs first), the meter no longer serves the previous "
        "occupier's previous-day cost the shared CoT trigger's precondition requires",
    ),
)
