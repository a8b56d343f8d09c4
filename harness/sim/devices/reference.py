"""The behaviour every reference HAN display device shares (IHD, PPMID).

A conforming SECMP0056 client: it joins, finds the meters by ZDO service discovery, tells
the ESME from the GPF by the Metering device type, takes its clock from the meter's Time
cluster, asks each meter for the Change of Tenancy at join, at rejoin and every
poll_interval (by the profile's query_method), fetches the data classes it stores, and on
a CoT it has not actioned clears the previous occupier's data (all of it, or that fuel's
only, by clear_scope), on receipt or at the implementation time (implementation_time), then
fetches the new occupier's data.

Fault variants subclass a reference device and override one hook each.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation

from harness.domain import DATA_CLASSES, MESSAGE_KEY, DataClass, Fetch, Fuel, Item
from harness.profile import ClearScope, ImplementationTime, MalformedReply, QueryMethod
from harness.sim.air import AirFrame
from harness.sim.clock import TimerHandle
from harness.sim.display import Display
from harness.sim.node import BROADCAST_RX_ON, SimNode
from harness.sim.request_frames import request_frame
from harness.zcl import codec
from harness.zcl.attributes import read_values
from harness.zcl.codec import Direction, ZclDecodeError, ZclFrame
from harness.zcl.header import header_or_none
from harness.zcl.ids import BASIC, DEVICE_MANAGEMENT, MESSAGING, METERING, TIME
from harness.zcl.logs import LogAssembler, is_log_part
from harness.zcl.time import CANCEL, IMPLEMENT_NOW, UNIX_OFFSET

METERING_DEVICE_TYPE = 0x0306
COT_UPDATE_TIME, COT_CONTROL = 0x0200, 0x0201
NO_COT_YET = 0xFFFFFFFF  # ZCL's invalid UTCTime: what a meter's 0x0200 holds before its first CoT
ALL_FUELS = "all"
HOUR = 3600.0

Handler = Callable[[AirFrame, ZclFrame], None]


@dataclasses.dataclass
class Meter:
    """A meter the device found on the HAN."""

    nwk: int
    endpoint: int
    fuel: Fuel | None = None
    prepayment: bool | None = None  # its PaymentControlConfiguration bit 1, once read (a PPMID reads it)


@dataclasses.dataclass
class PendingCot:
    issuer_event_id: int
    scope: str
    timer: TimerHandle


# Which first-edition handler receives each class's fetched answer (a class without one is
# handled by _on_fetched from its row alone).
ANSWER_HANDLERS: dict[DataClass, str] = {
    DataClass.CONSUMPTION_HISTORY: "_on_history",
    DataClass.TOP_UP_HISTORY: "_on_top_up_log",
    DataClass.DEBT_RECOVERY: "_on_debt_log",
    DataClass.SUPPLIER_MESSAGES: "_on_message",
}


class ReferenceDevice(SimNode):
    """Shared SECMP0056 client behaviour; subclasses say what they store and fetch."""

    poll_interval = 3 * HOUR  # a manufacturer's choice in the consultation; within 24 h
    stores: tuple[DataClass, ...] = ()

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.behaviour = world.profile.behaviour
        # Persisted (flash): survives a power cycle.
        self.display = Display(self.stores)
        self.last_actioned: dict[str, int] = {}  # scope (fuel or "all") -> Issuer Event ID
        # Volatile (RAM).
        self.meters: dict[tuple[int, int], Meter] = {}
        self.time_offset = 0.0
        self.scheduled: list[PendingCot] = []
        self._pending: dict[tuple[int, int], Handler] = {}
        # Whose data each pending request fetches: a CoT scoped to one fuel makes stale only
        # the answers of that fuel's meter (the other meter's are still its occupier's).
        self._pending_fuel: dict[tuple[int, int], Fuel | None] = {}
        # Requests made before a CoT was actioned: their answers carry the previous
        # occupier's data and must never reach the display.
        self._stale: set[tuple[int, int]] = set()
        # Logs a meter sends as several commands (harness.zcl.logs): the parts so far.
        self._logs = LogAssembler()
        # The attributes each pending Read Attributes asked for: a response carries only the
        # records that fit one frame, and the rest are asked for again.
        self._asked: dict[tuple[int, int], list[int]] = {}
        self._poll_timer: TimerHandle | None = None
        self._discovery_timer: TimerHandle | None = None

    # -- descriptors --------------------------------------------------------------------
    def input_clusters(self) -> list[int]:
        return [BASIC]

    def output_clusters(self) -> list[int]:
        clusters = {TIME, METERING, DEVICE_MANAGEMENT}
        for data_class in self.stores:
            spec = DATA_CLASSES[data_class]
            clusters |= spec.client_clusters
            clusters |= {spec.cluster_of(fetch) for fetch in spec.also_fetched}  # e.g. cost history
        return sorted(clusters)

    # -- network events -----------------------------------------------------------------
    discovery_retry = 30.0  # seconds without a meter before service discovery is tried again

    def on_joined(self, reason: str) -> None:
        # Meters it already knows (a rejoin keeps RAM) are asked at once; discovery finds
        # the rest (after a power-on, all of them).
        for meter in self.known_meters():
            self.query_cot(meter)
            self.fetch_all(meter)
        self.discover_meters()
        self.schedule_poll()

    def on_power_off(self) -> None:
        self.meters.clear()
        self._pending.clear()
        self._pending_fuel.clear()
        self._stale.clear()
        self._logs.clear()
        self._asked.clear()
        for pending in self.scheduled:
            pending.timer.cancel()
        self.scheduled.clear()
        for timer in (self._poll_timer, self._discovery_timer):
            if timer is not None:
                timer.cancel()
        self._poll_timer = self._discovery_timer = None

    def discover_meters(self) -> None:
        # A broadcast gets no MAC retries: look again until a meter has answered.
        self.send_zdo(
            BROADCAST_RX_ON,
            zdo_t.ZDOCmd.Match_Desc_req,
            BROADCAST_RX_ON,
            0x0109,
            [DEVICE_MANAGEMENT],
            [],
            on_response=self._on_match_desc,
        )
        if self._discovery_timer is not None:
            self._discovery_timer.cancel()
        self._discovery_timer = self.world.clock.call_later(self.discovery_retry, self._discovery_check)

    def _discovery_check(self) -> None:
        self._discovery_timer = None
        if self.powered and not self.known_meters():
            self.discover_meters()

    def _on_match_desc(self, args: list[object]) -> None:
        status, nwk, endpoints = args[0], int(args[1]), args[2]  # type: ignore[call-overload]
        if status != zdo_t.Status.SUCCESS:
            return
        for endpoint in endpoints:  # type: ignore[attr-defined]
            meter = self.meters.setdefault((nwk, int(endpoint)), Meter(nwk, int(endpoint)))
            if meter.fuel is None:  # a meter it already knows was asked when it joined
                self.request(
                    meter, METERING, "read_attributes", self._on_device_type, attribute_ids=[METERING_DEVICE_TYPE]
                )

    def _on_device_type(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meter_of(frame)
        value = read_values(zcl).get(METERING_DEVICE_TYPE)
        if meter is None or value is None:
            return
        meter.fuel = Fuel.GAS if int(value) & 0x7F == 1 else Fuel.ELECTRICITY  # type: ignore[call-overload]
        self.request(meter, TIME, "read_attributes", self._on_time, attribute_ids=[0x0000])
        self.on_meter_found(meter)

    def on_meter_found(self, meter: Meter) -> None:
        self.query_cot(meter)
        self.fetch_all(meter)

    def _on_time(self, frame: AirFrame, zcl: ZclFrame) -> None:
        value = read_values(zcl).get(0x0000)
        if value is not None:
            self.time_offset = (UNIX_OFFSET + int(value)) - self.world.clock.now()  # type: ignore[call-overload]

    def zcl_now(self) -> int:
        return int(self.world.clock.now() + self.time_offset) - UNIX_OFFSET

    # -- periodic query ------------------------------------------------------------------
    def schedule_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.cancel()
        self._poll_timer = self.world.clock.call_later(self.poll_interval, self.poll)

    def poll(self) -> None:
        self._poll_timer = None
        for meter in self.known_meters():
            self.query_cot(meter)
            self.fetch_all(meter)
        self.schedule_poll()

    def known_meters(self) -> list[Meter]:
        return [m for m in self.meters.values() if m.fuel is not None]

    def meter_of(self, frame: AirFrame) -> Meter | None:
        return self.meters.get((frame.src_nwk, frame.src_ep))

    # -- requests -----------------------------------------------------------------------
    def request(self, meter: Meter, cluster: int, command: str, on_answer: Handler, **fields: object) -> None:
        tsn = self.next_tsn()
        payload = request_frame(cluster, command, tsn, **fields)
        self._pending[(cluster, tsn)] = on_answer
        self._pending_fuel[(cluster, tsn)] = meter.fuel
        self._stale.discard((cluster, tsn))  # the TSN has wrapped: this one is current
        self._logs.forget(cluster, tsn)  # nor are parts of a log once asked with this TSN
        if command == "read_attributes":
            self._asked[(cluster, tsn)] = [int(a) for a in fields["attribute_ids"]]  # type: ignore[attr-defined]
        else:
            self._asked.pop((cluster, tsn), None)
        self.send_zcl(meter.endpoint, cluster, payload, dst_nwk=meter.nwk)

    def query_cot(self, meter: Meter) -> None:
        if self.behaviour.query_method is QueryMethod.READ_ATTRIBUTES:
            self.request(
                meter,
                DEVICE_MANAGEMENT,
                "read_attributes",
                self._on_cot_attributes,
                attribute_ids=[COT_UPDATE_TIME, COT_CONTROL],
            )
        else:
            self.request(meter, DEVICE_MANAGEMENT, "get_change_of_tenancy", self._on_get_cot_answer)

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        # A Publish CoT answer is handled like a pushed one; NOT_FOUND means no CoT.
        if zcl.command_name == "publish_change_of_tenancy":
            self.on_publish_cot(frame, zcl)

    def _on_cot_attributes(self, frame: AirFrame, zcl: ZclFrame) -> None:
        update_time = read_values(zcl).get(COT_UPDATE_TIME)
        meter = self.cot_source(frame)
        if update_time and update_time != NO_COT_YET and meter is not None:
            # Read this way, the update date/time is the only identity the event has.
            self.consider_cot(int(update_time), int(update_time), meter)  # type: ignore[call-overload]

    # -- fetching what the device shows -----------------------------------------------
    def fetch_all(self, meter: Meter) -> None:
        for data_class in self.stores:
            self.fetch(meter, data_class)

    def fetch(self, meter: Meter, data_class: DataClass) -> None:
        spec = DATA_CLASSES[data_class]
        handler = ANSWER_HANDLERS.get(data_class)
        on_answer = getattr(self, handler) if handler else functools.partial(self._on_fetched, data_class)
        self.request(meter, spec.server_cluster, spec.fetch.command, on_answer, **spec.fetch.fields)
        for fetch in spec.also_fetched:
            also = functools.partial(self._on_also_fetched, data_class, fetch)
            self.request(meter, spec.cluster_of(fetch), fetch.command, also, **fetch.fields)

    # The answer handlers of the first edition, by name: models written against it (a lab's
    # own, the independent faulty models) override them, so each still receives its answers.
    def _on_history(self, frame: AirFrame, zcl: ZclFrame) -> None:
        self._on_fetched(DataClass.CONSUMPTION_HISTORY, frame, zcl)

    def _on_top_up_log(self, frame: AirFrame, zcl: ZclFrame) -> None:
        self._on_fetched(DataClass.TOP_UP_HISTORY, frame, zcl)

    def _on_debt_log(self, frame: AirFrame, zcl: ZclFrame) -> None:
        self._on_fetched(DataClass.DEBT_RECOVERY, frame, zcl)

    def _on_message(self, frame: AirFrame, zcl: ZclFrame) -> None:
        spec = DATA_CLASSES[DataClass.SUPPLIER_MESSAGES]
        if (fuel := self._fuel(frame)) is not None and zcl.command_name == spec.fetch.answer:
            for _key, message_id in spec.fetch.shown(zcl):
                self.show_message(fuel, message_id)  # a model's show_message sees fetched messages too

    def _fuel(self, frame: AirFrame) -> str | None:
        meter = self.meter_of(frame)
        return str(meter.fuel) if meter is not None and meter.fuel is not None else None

    def _on_fetched(self, data_class: DataClass, frame: AirFrame, zcl: ZclFrame) -> None:
        self._on_also_fetched(data_class, DATA_CLASSES[data_class].fetch, frame, zcl)

    def _on_also_fetched(self, data_class: DataClass, fetch: Fetch, frame: AirFrame, zcl: ZclFrame) -> None:
        """The answer to one of the class's fetches (harness.domain: a row may have several)."""
        spec = DATA_CLASSES[data_class]
        if (fuel := self._fuel(frame)) is None or zcl.command_name != fetch.answer:
            return  # e.g. NOT_FOUND: the meter has none to show
        items = {(fuel, key, value) for key, value in fetch.shown(zcl)}
        if spec.latest_per_fuel:
            self.show_latest(data_class, fuel, items)
        else:
            self.show(data_class, items)

    def show(self, data_class: DataClass, items: set[Item]) -> None:
        """Logs accumulate: what was shown stays until a CoT clears it."""
        self.display.add(data_class, items)

    def show_latest(self, data_class: DataClass, fuel: str, items: set[Item]) -> None:
        """The latest per fuel replaces the one before (e.g. the last supplier message)."""
        self.display.replace(data_class, lambda i: i[0] == fuel, items)

    def show_message(self, fuel: str, message_id: int) -> None:
        """The last message per fuel replaces the one before."""
        self.show_latest(DataClass.SUPPLIER_MESSAGES, fuel, {(fuel, MESSAGE_KEY, message_id)})

    # -- incoming ZCL ---------------------------------------------------------------------
    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.direction is Direction.TO_CLIENT and is_log_part(zcl):
            # A log split across commands is one answer: handled (or dropped as stale) whole,
            # once its last part is in, so a handler sees every record at once.
            whole = self._logs.add(zcl)
            if whole is None:
                return
            zcl = whole
        if zcl.direction is Direction.TO_CLIENT:
            if (zcl.cluster_id, zcl.tsn) in self._stale:
                self._stale.discard((zcl.cluster_id, zcl.tsn))
                return
            handler = self._pending.pop((zcl.cluster_id, zcl.tsn), None)
            if handler is not None:
                asked = self._asked.pop((zcl.cluster_id, zcl.tsn), None)
                handler(frame, zcl)
                self.read_the_rest(frame, zcl, asked, handler)
                return
        if zcl.cluster_id == BASIC and zcl.command_name == "read_attributes":
            self.answer_basic(frame, zcl)
        elif zcl.direction is not Direction.TO_CLIENT or not zcl.is_cluster_specific:
            if zcl.is_cluster_specific and not zcl.disable_default_response:
                self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)
        elif zcl.cluster_id == DEVICE_MANAGEMENT:
            self.on_device_management(frame, zcl)
        elif zcl.cluster_id == MESSAGING:
            self.on_messaging(frame, zcl)
        elif zcl.command_name.startswith("unknown_") or zcl.cluster_id not in self.output_clusters():
            self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)
        elif not zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.SUCCESS)

    def read_the_rest(self, frame: AirFrame, zcl: ZclFrame, asked: list[int] | None, handler: Handler) -> None:
        """Ask again for the attributes a Read Attributes Response left out (it had no room)."""
        if asked is None or zcl.command_name != "read_attributes_rsp":
            return
        answered = {int(record.attrid) for record in zcl.fields.get("status_records", [])}
        rest = [attr_id for attr_id in asked if attr_id not in answered]
        meter = self.meter_of(frame)
        if rest and answered and meter is not None:
            self.request(meter, zcl.cluster_id, "read_attributes", handler, attribute_ids=rest)

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "publish_change_of_tenancy":
            self.on_pushed_cot(frame, zcl)
        elif zcl.command_name.startswith("unknown_"):
            self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)
        elif not zcl.disable_default_response:
            # Other DM commands (e.g. Change of Supplier) are accepted and clear nothing.
            self.default_response(frame, zcl, foundation.Status.SUCCESS)

    def on_messaging(self, frame: AirFrame, zcl: ZclFrame) -> None:
        fuel = self._fuel(frame)
        if fuel is not None and DataClass.SUPPLIER_MESSAGES in self.stores:
            if zcl.command_name in ("display_message", "display_protected_message"):
                self.show_message(fuel, int(zcl.fields["message_id"]))
            elif zcl.command_name == "cancel_message":
                wanted = int(zcl.fields["message_id"])
                self.display.remove(DataClass.SUPPLIER_MESSAGES, lambda i: i[0] == fuel and i[2] == wanted)
            elif zcl.command_name == "cancel_all_messages":
                self.display.clear(DataClass.SUPPLIER_MESSAGES, fuel)
        if zcl.command_name.startswith("unknown_"):
            self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)
        elif not zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.SUCCESS)

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        header = header_or_none(frame.payload)
        if self.behaviour.malformed_reply is not MalformedReply.MALFORMED_COMMAND or header is None:
            return
        if not header.cluster_specific:
            return  # a malformed global command: not this model's concern
        # An error is reported even when disable-default-response is set.
        tsn, command_id, direction = header.tsn, header.command_id, header.direction.flip()
        self.reply(
            frame,
            codec.default_response(
                command_id,
                foundation.Status.MALFORMED_COMMAND,
                tsn=tsn,
                direction=direction,
                cluster_id=frame.cluster_id,
            ),
        )

    # -- the Change of Tenancy -------------------------------------------------------------
    def on_pushed_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        """An unsolicited Publish CoT (a meter's push); answers to queries come via on_publish_cot."""
        self.on_publish_cot(frame, zcl)

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if not zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.SUCCESS)
        meter = self.cot_source(frame)
        if meter is not None:
            self.consider_cot(int(zcl.fields["issuer_event_id"]), int(zcl.fields["implementation_date_time"]), meter)

    def cot_source(self, frame: AirFrame) -> Meter | None:
        """The meter a CoT comes from, or None: a CoT is taken only from an ESI endpoint the
        device discovered (a Device Management server, by Match_Desc), never from another
        endpoint, not even one on the meters' own node (DM-06)."""
        return self.meter_of(frame)

    def scope_of(self, meter: Meter) -> str:
        if self.behaviour.clear_scope is ClearScope.FUEL and meter.fuel is not None:
            return str(meter.fuel)
        return ALL_FUELS

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        """Never action an event again, nor one older than the last actioned."""
        last = self.last_actioned.get(scope)
        return last is None or issuer_event_id > last

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter: Meter) -> None:
        scope = self.scope_of(meter)
        if implementation_time == CANCEL:
            self.cancel_scheduled(issuer_event_id)
            return
        if not self.is_new_event(issuer_event_id, scope):
            return
        if (
            self.behaviour.implementation_time is ImplementationTime.SCHEDULED
            and implementation_time != IMPLEMENT_NOW
            and implementation_time > self.zcl_now()
        ):
            self.schedule_cot(issuer_event_id, implementation_time, scope)
            return
        self.action_cot(issuer_event_id, scope)

    def schedule_cot(self, issuer_event_id: int, implementation_time: int, scope: str) -> None:
        if any(p.issuer_event_id == issuer_event_id for p in self.scheduled):
            return
        due = UNIX_OFFSET + implementation_time - self.time_offset
        timer = self.world.clock.call_at(due, lambda: self._scheduled_due(issuer_event_id, scope))
        self.scheduled.append(PendingCot(issuer_event_id, scope, timer))

    def _scheduled_due(self, issuer_event_id: int, scope: str) -> None:
        self.scheduled = [p for p in self.scheduled if p.issuer_event_id != issuer_event_id]
        self.action_cot(issuer_event_id, scope)

    def cancel_scheduled(self, issuer_event_id: int) -> None:
        for pending in [p for p in self.scheduled if p.issuer_event_id == issuer_event_id]:
            pending.timer.cancel()
            self.scheduled.remove(pending)

    def action_cot(self, issuer_event_id: int, scope: str) -> None:
        if not self.is_new_event(issuer_event_id, scope):
            return
        self.last_actioned[scope] = issuer_event_id
        fuel = None if scope == ALL_FUELS else scope
        # Answers still in flight from the meters in scope belong to the previous occupier.
        in_scope = {key for key in self._pending if fuel is None or self._pending_fuel.get(key) == fuel}
        self._stale |= in_scope
        for key in in_scope:
            del self._pending[key]
        for data_class in self.stores:
            self.clear(data_class, fuel)
        self.fetch_new_occupier(fuel)

    def fetch_new_occupier(self, fuel: str | None) -> None:
        """The new occupier's data at once, so the display is not left blank."""
        for meter in self.known_meters():
            if fuel is None or str(meter.fuel) == fuel:
                self.fetch_all(meter)

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        self.display.clear(data_class, fuel)

    # -- what the display shows (read by the simulation observer) -------------------------
    def displayed(self, data_class: DataClass) -> frozenset[Item] | None:
        """None: this device does not store the class at all."""
        return self.display.items(data_class)
