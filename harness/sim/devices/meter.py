"""The reference ESME and GPF: meters under test, following the GBCS Change of Tenancy.

A meter holds the previous occupier's dated data (top-ups, debt collections, the last
supplier message, half-hourly consumption) from before the run. Its supplier's CoT (DCC SR
3.2: ECS12 to an ESME, GCS09 to a GPF) reaches it through the bench's CoT trigger
(`change_of_tenancy`, the HAN facade's action) and is executed on receipt, its date the
boundary: from then on nothing dated before it is served on the HAN. What the reference
does on receipt, in order:

1. holds the CoT: Get Change of Tenancy answers Publish CoT with it, 0x0200/0x0201 read its
   implementation date/time and tenancy change control;
2. clears the last active supplier message: Get Last Message answers NOT_FOUND, Cancel All
   Messages (dated the CoT) goes to every client bound to its Messaging server, and Get
   Message Cancellation answers it (the meters' makers asked how: this is the choice);
3. pushes Publish CoT to every client bound to its Device Management server.

It never imports the harness's side (harness.esi): its model is its own, on harness.zcl.
Fault variants (harness.sim.variants.meter) override one hook each.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
from typing import TYPE_CHECKING

import zigpy.types as zt
import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation

from harness.sim import zdo
from harness.sim.air import COORDINATOR_NWK, AirFrame
from harness.sim.node import SimNode
from harness.zcl import codec, ids
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import ZclFrame
from harness.zcl.device_management import TenancyChangeControl
from harness.zcl.history_periods import Period, previous
from harness.zcl.logs import split_log
from harness.zcl.metering import HALF_HOUR, HISTORY_ATTRIBUTES, IntervalChannel, ProfileIntervalPeriod, ProfileStatus
from harness.zcl.prepayment import COST_HISTORY_DELIVERED, DebtRecord, TopUpRecord
from harness.zcl.time import INVALID, UNIX_OFFSET

if TYPE_CHECKING:
    from harness.sim.world import SimWorld

T = foundation.DataTypeId
DM, MESSAGING, METERING, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.MESSAGING, ids.METERING, ids.PREPAYMENT
DAY = 86_400
PROVIDER_ID = 0x0000_1234
# GB's CoT clears the IHD's consumer and supplier data, the transaction log and prepayment data;
# the contactor is left as it is (bits 11-12: 3, unchanged).
COT_CONTROL = int(
    TenancyChangeControl.Clear_IHD_Data_Consumer
    | TenancyChangeControl.Clear_IHD_Data_Supplier
    | TenancyChangeControl.Clear_Transaction_Log
    | TenancyChangeControl.Clear_Prepayment_Data
    | TenancyChangeControl.Meter_Contactor_State_Bit0
    | TenancyChangeControl.Meter_Contactor_State_Bit1
)
NO_COT_TIME, NO_COT_CONTROL = 0xFFFFFFFF, 0  # 0x0200/0x0201 before any CoT (ZCL's invalid time)
MAX_PERIODS = 18  # Get Profile intervals one secured frame carries (harness.zcl.limits)
# The previous occupier's half-hours go back this far: past the start of the month before the
# current one, so the previous week and month are wholly the previous occupier's.
HELD_DAYS = 62
SUMMATION_AT_INSTALL = 1_234_567  # Wh on the register when the previous occupier's data begins
CURRENT_SUMMATION = 0x0000  # Metering CurrentSummationDelivered
CURRENT_DAY = next(a for a, d in HISTORY_ATTRIBUTES.items() if d.name == "currentday_consumption_delivered")
PREVIOUS_DAY = next(a for a, d in HISTORY_ATTRIBUTES.items() if d.name == "previousday_consumption_delivered")
PREVIOUS_DAY_COST = next(a for a, period in COST_HISTORY_DELIVERED.items() if period == "previous_day")
# The week and month history an IHD reads: Metering's consumption, Prepayment's cost.
PREVIOUS_PERIOD = {
    p: next(a for a, d in HISTORY_ATTRIBUTES.items() if d.name == f"previous_{p}_consumption_delivered")
    for p in ("week", "month")
}
PREVIOUS_PERIOD_COST = {
    p: next(a for a, q in COST_HISTORY_DELIVERED.items() if q == f"previous_{p}") for p in PREVIOUS_PERIOD
}
PENCE_PER_KWH = 30


@dataclasses.dataclass(frozen=True)
class MeterCot:
    issuer_event_id: int
    implementation_time: int
    control: int = COT_CONTROL


@dataclasses.dataclass(frozen=True)
class LastMessage:
    message_id: int
    start_time: int
    text: str


_HISTORY_HOOKS = frozenset({"served", "interval_value", "intervals"})


@functools.lru_cache(maxsize=64)
def _register(latest: int, first: int) -> int:
    """The sum of ReferenceMeter.interval_value over the half-hours ending in (first, latest]."""
    return sum(ReferenceMeter.interval_value(end) for end in range(latest, first, -HALF_HOUR))


class ReferenceMeter(SimNode):
    """An ESME (electricity) by default; ReferenceGpf is the gas proxy."""

    device_type = 0x0501  # SE Metering Device
    gas = False

    def __init__(self, world: SimWorld) -> None:
        super().__init__(world)
        now = self.zcl_now()
        self.started_at = now
        prior = world.profile.behaviour.prior_issuer_event_id
        self.cot: MeterCot | None = None if prior is None else MeterCot(prior, now - 60 * DAY)
        self.boundary: int | None = None  # the CoT date: nothing dated before it is served
        # The previous occupier's data, dated before the run (times in ZCL UTC seconds).
        code = b"5" if self.gas else b"1"
        self.top_ups = [
            TopUpRecord(top_up_code=code * 20, top_up_amount=1000 * n, top_up_time=now - n * DAY) for n in (1, 2)
        ]
        self.debts = [
            DebtRecord(collection_time=now - n * DAY, amount_collected=50 * n, debt_type=1, outstanding_debt=900)
            for n in (1, 2)
        ]
        self.last_message: LastMessage | None = LastMessage(0x5001 if self.gas else 0x1001, now - DAY, "Welcome")
        self.cancelled_at: int | None = None  # the date of the Cancel All Messages it sent
        self.bindings: list[tuple[int, zt.EUI64, int]] = []  # (cluster, client IEEE, client endpoint)

    def zcl_now(self) -> int:
        return int(self.world.clock.now()) - UNIX_OFFSET

    def input_clusters(self) -> list[int]:
        return [ids.BASIC, ids.TIME, METERING, MESSAGING, PREPAYMENT, DM]

    # -- the CoT, on receipt ------------------------------------------------------------
    def change_of_tenancy(self) -> None:
        """The supplier's CoT reaches the meter (the bench's cot_trigger): executed now."""
        now = self.zcl_now()
        self.cot = MeterCot(self.next_event_id(), now)
        self.boundary = self.withheld_before(now)
        self.clear_last_message(now)
        self.push_cot()

    def next_event_id(self) -> int:
        return (self.cot.issuer_event_id + 1) if self.cot is not None else self.zcl_now()

    def withheld_before(self, cot_time: int) -> int | None:
        return cot_time

    def clear_last_message(self, cot_time: int) -> None:
        self.last_message = None
        self.cancelled_at = cot_time
        for ieee, endpoint in self.bound(MESSAGING):
            frame = codec.build(
                MESSAGING, "cancel_all_messages", tsn=self.next_tsn(), implementation_date_time=cot_time
            )
            self.send_to(ieee, endpoint, MESSAGING, frame)

    def push_cot(self) -> None:
        for ieee, endpoint in self.push_targets():
            self.send_to(ieee, endpoint, DM, self.publish_cot_frame(self.next_tsn()))

    def push_targets(self) -> list[tuple[zt.EUI64, int]]:
        return self.bound(DM)

    def publish_cot_fields(self) -> dict[str, object]:
        assert self.cot is not None
        return {
            "provider_id": PROVIDER_ID,
            "issuer_event_id": self.cot.issuer_event_id,
            "tariff_type": 0,
            "implementation_date_time": self.cot.implementation_time,
            "proposed_tenancy_change_control": self.cot.control,
        }

    def publish_cot_frame(self, tsn: int) -> bytes:
        return codec.build(DM, "publish_change_of_tenancy", tsn=tsn, **self.publish_cot_fields())

    def cot_attributes(self) -> tuple[int, int]:
        """0x0200 and 0x0201."""
        if self.cot is None:
            return NO_COT_TIME, NO_COT_CONTROL
        return self.cot.implementation_time, self.cot.control

    # -- what is served: nothing dated before the boundary ------------------------------
    def served(self, dated: int, kind: str) -> bool:
        """`kind` (top_up, debt, interval, message) dated `dated`: served on the HAN?"""
        return self.boundary is None or dated >= self.boundary

    def intervals(self) -> list[tuple[int, int]]:
        """(end time, Wh) of every half-hour held, most recent first: the previous occupier's
        back to HELD_DAYS before the run, and everyone's since, as far as the clock has run."""
        if self._own_history_rules():
            return list(self._held()[0])
        return self._served_half_hours(*self._held_span())

    def _held_span(self) -> tuple[int, int]:
        """(latest, first): the half-hours held end in (first, latest], latest the clock's last."""
        return self.zcl_now() // HALF_HOUR * HALF_HOUR, self.started_at - HELD_DAYS * DAY

    def _served_half_hours(self, latest: int, first: int) -> list[tuple[int, int]]:
        return [
            (end, self.interval_value(end))
            for end in range(latest, first, -HALF_HOUR)
            if self.served(end - HALF_HOUR, "interval")
        ]

    # Every Metering read builds the whole attribute table, each history attribute summing
    # the ~3000 half-hours held (HELD_DAYS): 5 % of a selftest's CPU went there. While the
    # model's history rules are this class's own (served, interval_value, intervals: what a
    # variant or a lab's faulty model overrides), the half-hours held are a function of the
    # clock's half-hour and the boundary alone, so they are kept for that pair, with their
    # running sums. A model that overrides any of them takes the loops above and below,
    # hook by hook, exactly as before.
    def _own_history_rules(self) -> bool:
        kind = type(self)
        return (
            kind.served is ReferenceMeter.served
            and kind.interval_value is ReferenceMeter.interval_value
            and kind.intervals is ReferenceMeter.intervals
            and not _HISTORY_HOOKS & vars(self).keys()  # nor replaced on the instance
        )

    def _held(self) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """intervals()'s list for this clock and boundary, its ends oldest first, and the
        running sums of their values oldest first (sums[i]: the first i half-hours)."""
        span = self._held_span()
        key = (*span, self.boundary)
        cached = getattr(self, "_held_cache", None)
        if cached is None or cached[0] != key:
            held = self._served_half_hours(*span)
            ends = [end for end, _value in reversed(held)]
            sums = [0, *itertools.accumulate(value for _end, value in reversed(held))]
            cached = self._held_cache = (key, (held, ends, sums))
        return cached[1]

    @staticmethod
    def interval_value(end: int) -> int:
        """Wh consumed in the half-hour ending at `end` (whoever lived there)."""
        return 100 + (end // HALF_HOUR) % 50

    def summation(self) -> int:
        """CurrentSummationDelivered (Metering 0x0000), Wh: the meter's register, every
        half-hour it has completed since it was installed, whoever consumed it (not an
        occupier's history: never withheld). Installed HELD_DAYS before the run, from a
        reading of SUMMATION_AT_INSTALL."""
        latest, first = self._held_span()
        if type(self).interval_value is ReferenceMeter.interval_value:
            return SUMMATION_AT_INSTALL + _register(latest, first)
        return SUMMATION_AT_INSTALL + sum(self.interval_value(end) for end in range(latest, first, -HALF_HOUR))

    def consumed(self, start: int, end: int) -> int:
        """Wh of the half-hours held that lie within [start, end]."""
        if self._own_history_rules():
            _held, ends, sums = self._held()
            return sums[bisect.bisect_right(ends, end)] - sums[bisect.bisect_left(ends, start + HALF_HOUR)]
        return sum(value for stop, value in self.intervals() if start <= stop - HALF_HOUR and stop <= end)

    # -- ZDO: binding -------------------------------------------------------------------
    def _receive_zdo(self, frame: AirFrame) -> None:
        if frame.cluster_id != zdo_t.ZDOCmd.Bind_req:
            super()._receive_zdo(frame)
            return
        tsn, _cmd, args = zdo.decode(frame.cluster_id, frame.payload)
        src_ieee, src_ep, cluster, destination = args
        status = zdo_t.Status.NOT_SUPPORTED
        if src_ieee == self.ieee and src_ep == self.endpoint and cluster in self.input_clusters():
            entry = (int(cluster), destination.ieee, int(destination.endpoint))
            if entry not in self.bindings:
                self.bindings.append(entry)
            status = zdo_t.Status.SUCCESS
        self._transmit(
            frame.src_nwk, 0, 0, 0x0000, zdo_t.ZDOCmd.Bind_rsp, zdo.encode(zdo_t.ZDOCmd.Bind_rsp, tsn, status)
        )

    def bound(self, cluster: int) -> list[tuple[zt.EUI64, int]]:
        return [(ieee, endpoint) for c, ieee, endpoint in self.bindings if c == cluster]

    def send_to(self, ieee: zt.EUI64, endpoint: int, cluster: int, payload: bytes) -> None:
        from harness.sim.world import COORDINATOR_IEEE  # the one node a bench binds from

        if ieee == zt.EUI64.convert(COORDINATOR_IEEE):
            self.send_zcl(endpoint, cluster, payload, dst_nwk=COORDINATOR_NWK)

    # -- ZCL ------------------------------------------------------------------------------
    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "read_attributes":
            self.reply(frame, read_attributes_rsp(zcl, self.attribute_table(zcl.cluster_id)))
            return
        handler = {
            (DM, "get_change_of_tenancy"): self.on_get_cot,
            (PREPAYMENT, "get_top_up_log"): self.on_get_top_up_log,
            (PREPAYMENT, "get_debt_repayment_log"): self.on_get_debt_log,
            (MESSAGING, "get_last_message"): self.on_get_last_message,
            (MESSAGING, "get_message_cancellation"): self.on_get_message_cancellation,
            (METERING, "get_profile"): self.on_get_profile,
        }.get((zcl.cluster_id, zcl.command_name))
        if handler is not None:
            for payload in handler(zcl):
                self.reply(frame, payload)
        elif zcl.is_cluster_specific and not zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)

    def attribute_table(self, cluster: int) -> dict[int, tuple[foundation.DataTypeId, object]]:
        if cluster == ids.BASIC:
            return {
                0x0000: (T.uint8, 3),
                0x0004: (T.string, self.manufacturer),
                0x0005: (T.string, self.model),
                0x4000: (T.string, self.firmware),
            }
        if cluster == DM:
            update_time, control = self.cot_attributes()
            return {0x0200: (T.UTC, update_time), 0x0201: (T.map32, control)}
        if cluster == METERING:
            midnight = self.zcl_now() // DAY * DAY
            periods = {
                attr: (T.uint24 if p == "week" else T.uint32, self.period_history(p, *previous(p, self.zcl_now())))
                for p, attr in PREVIOUS_PERIOD.items()
            }
            return {
                CURRENT_SUMMATION: (T.uint48, self.summation()),
                CURRENT_DAY: (T.uint24, self.consumed(midnight, midnight + DAY)),
                PREVIOUS_DAY: (T.uint24, self.day_history(midnight - DAY, midnight)),
                **periods,
            }
        if cluster == PREPAYMENT:
            midnight = self.zcl_now() // DAY * DAY
            periods = {
                attr: (T.uint48, self.period_cost(p, *previous(p, self.zcl_now())))
                for p, attr in PREVIOUS_PERIOD_COST.items()
            }
            return {PREVIOUS_DAY_COST: (T.uint48, self.day_cost(midnight - DAY, midnight)), **periods}
        if cluster == ids.TIME:
            return {0x0000: (T.UTC, self.zcl_now())}
        return {}

    def day_history(self, start: int, end: int) -> int:
        return self.consumed(start, end)

    def day_cost(self, start: int, end: int) -> int:
        """Pence, from the same half-hours (Prepayment's Historical Cost Consumption set)."""
        return self.consumed(start, end) * PENCE_PER_KWH // 1000

    def period_history(self, period: Period, start: int, end: int) -> int:
        """Previous Week/Month Consumption Delivered: the half-hours of [start, end) it serves."""
        return self.consumed(start, end)

    def period_cost(self, period: Period, start: int, end: int) -> int:
        """Previous Week/Month cost (pence), from the same half-hours."""
        return self.consumed(start, end) * PENCE_PER_KWH // 1000

    def not_found(self, zcl: ZclFrame) -> list[bytes]:
        return [codec.default_response_to(zcl, foundation.Status.NOT_FOUND)]

    def on_get_cot(self, zcl: ZclFrame) -> list[bytes]:
        if self.cot is None:
            return self.not_found(zcl)
        return [self.publish_cot_frame(zcl.tsn)]  # the answer echoes the request's TSN

    def on_get_top_up_log(self, zcl: ZclFrame) -> list[bytes]:
        latest = int(zcl.fields["latest_end_time"])
        wanted = int(zcl.fields["number_of_records"]) or 255
        held = [r for r in self.top_ups if r.top_up_time <= latest and self.served(r.top_up_time, "top_up")][:wanted]
        return split_log(PREPAYMENT, "publish_top_up_log", held, tsn=zcl.tsn) if held else self.not_found(zcl)

    def on_get_debt_log(self, zcl: ZclFrame) -> list[bytes]:
        latest = int(zcl.fields["latest_end_time"])
        wanted = int(zcl.fields["number_of_debts"]) or 255
        held = [d for d in self.debts if d.collection_time <= latest and self.served(d.collection_time, "debt")]
        held = held[:wanted]
        return split_log(PREPAYMENT, "publish_debt_log", held, tsn=zcl.tsn) if held else self.not_found(zcl)

    def on_get_last_message(self, zcl: ZclFrame) -> list[bytes]:
        message = self.last_message
        if message is None or not self.served(message.start_time, "message"):
            return self.not_found(zcl)
        fields = {"message_id": message.message_id, "message_control": 0, "start_time": message.start_time}
        return [
            codec.build(
                MESSAGING, "display_message", tsn=zcl.tsn, duration_in_minutes=0xFFFF, message=message.text, **fields
            )
        ]

    def on_get_message_cancellation(self, zcl: ZclFrame) -> list[bytes]:
        if self.cancelled_at is None or self.cancelled_at < int(zcl.fields["earliest_implementation_time"]):
            return self.not_found(zcl)
        return [codec.build(MESSAGING, "cancel_all_messages", tsn=zcl.tsn, implementation_date_time=self.cancelled_at)]

    def on_get_profile(self, zcl: ZclFrame) -> list[bytes]:
        end_time, wanted = int(zcl.fields["end_time"]), int(zcl.fields["number_of_periods"])

        def response(status: ProfileStatus, end: int, values: list[int]) -> list[bytes]:
            period = ProfileIntervalPeriod.Thirty_Minutes  # GB's half-hours
            fields = {"end_time": end, "status": status, "profile_interval_period": period}
            fields |= {"number_of_periods_delivered": len(values), "intervals": values}
            return [codec.build(METERING, "get_profile_response", tsn=zcl.tsn, **fields)]

        if int(zcl.fields["interval_channel"]) != IntervalChannel.Consumption_Delivered or end_time == INVALID:
            return response(ProfileStatus.Interval_Channel_Not_Supported, end_time, [])
        held = [(end, value) for end, value in self.intervals() if end_time == 0 or end <= end_time]
        if not held:
            return response(ProfileStatus.No_Intervals_Available_For_The_Requested_Time, end_time, [])
        block = held[: min(wanted, MAX_PERIODS)]
        return response(ProfileStatus.Success, block[0][0], [value for _end, value in block])


class ReferenceEsme(ReferenceMeter):
    """The electricity meter."""


class ReferenceGpf(ReferenceMeter):
    """The gas proxy function (in the comms hub): the gas meter's data, the same CoT rules."""

    gas = True
