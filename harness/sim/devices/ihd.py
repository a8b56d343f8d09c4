"""The reference simulated IHD: what a conforming SECMP0056 In-Home Display does.

It joins, finds the meters by ZDO service discovery, tells the ESME from the GPF by the
Metering device type, asks each for the Change of Tenancy (at join, at rejoin and every
poll_interval), reads the consumption history it displays, and on a CoT it has not
actioned before clears what it stores of the previous occupier and fetches the new
occupier's data. Fault variants subclass it and override one behaviour each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation

from harness.esi.tenant import SERVED_HISTORY, DataClass, Fuel, Item
from harness.sim.air import AirFrame
from harness.sim.node import BROADCAST_RX_ON, SimNode
from harness.zcl import codec
from harness.zcl.attributes import read_values
from harness.zcl.codec import Direction, ZclDecodeError, ZclFrame

BASIC, METERING, DEVICE_MANAGEMENT = 0x0000, 0x0702, 0x0708
METERING_DEVICE_TYPE = 0x0306
COT_UPDATE_TIME, COT_CONTROL = 0x0200, 0x0201
ZCL_EPOCH_UNIX = 946684800
HOUR = 3600.0

Handler = Callable[[AirFrame, ZclFrame], None]


@dataclasses.dataclass
class Meter:
    """A meter the IHD found on the HAN."""

    nwk: int
    endpoint: int
    fuel: Fuel | None = None


class ReferenceIHD(SimNode):
    """A conforming IHD (Device Management, Metering and Basic)."""

    poll_interval = 3 * HOUR  # a manufacturer's choice in the consultation; within 24 h
    stores: tuple[DataClass, ...] = (DataClass.CONSUMPTION_HISTORY,)

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.behaviour = world.profile.behaviour
        # Persisted (flash): survives a power cycle.
        self.shown: dict[DataClass, set[Item]] = {dc: set() for dc in self.stores}
        self.last_actioned_cot: int | None = None
        # Volatile (RAM).
        self.meters: dict[tuple[int, int], Meter] = {}
        self.cleared_at: list[float] = []
        self._pending: dict[tuple[int, int], Handler] = {}
        self._poll_timer = None

    # -- descriptors --------------------------------------------------------------------
    def input_clusters(self) -> list[int]:
        return [BASIC]

    def output_clusters(self) -> list[int]:
        return [METERING, DEVICE_MANAGEMENT]

    # -- network events -----------------------------------------------------------------
    def on_joined(self, rejoined: bool) -> None:
        self.discover_meters()
        self._schedule_poll()

    def on_power_off(self) -> None:
        self.meters.clear()
        self._pending.clear()
        if self._poll_timer is not None:
            self._poll_timer.cancel()
            self._poll_timer = None

    def discover_meters(self) -> None:
        self.send_zdo(
            BROADCAST_RX_ON,
            zdo_t.ZDOCmd.Match_Desc_req,
            BROADCAST_RX_ON,
            0x0109,
            [DEVICE_MANAGEMENT],
            [],
            on_response=self._on_match_desc,
        )

    def _on_match_desc(self, args: list[object]) -> None:
        status, nwk, endpoints = args[0], args[1], args[2]
        if status != zdo_t.Status.SUCCESS:
            return
        for endpoint in endpoints:  # type: ignore[attr-defined]
            meter = self.meters.setdefault((int(nwk), int(endpoint)), Meter(int(nwk), int(endpoint)))  # type: ignore[call-overload]
            self.request(
                meter, METERING, "read_attributes", self._on_device_type, attribute_ids=[METERING_DEVICE_TYPE]
            )

    def _on_device_type(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meters.get((frame.src_nwk, frame.src_ep))
        value = read_values(zcl).get(METERING_DEVICE_TYPE)
        if meter is None or value is None:
            return
        meter.fuel = Fuel.GAS if int(value) & 0x7F == 1 else Fuel.ELECTRICITY  # type: ignore[call-overload]
        self.query_cot(meter)
        self.read_history(meter)

    # -- periodic query ------------------------------------------------------------------
    def _schedule_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.cancel()
        self._poll_timer = self.world.clock.call_later(self.poll_interval, self._poll)

    def _poll(self) -> None:
        self._poll_timer = None
        for meter in self.known_meters():
            self.query_cot(meter)
            self.read_history(meter)
        self._schedule_poll()

    def known_meters(self) -> list[Meter]:
        return [m for m in self.meters.values() if m.fuel is not None]

    # -- requests -----------------------------------------------------------------------
    def request(self, meter: Meter, cluster: int, command: str, on_answer: Handler, **fields: object) -> None:
        tsn = self.next_tsn()
        payload = codec.build(cluster, command, tsn=tsn, direction=Direction.TO_SERVER, **fields)
        self._pending[(cluster, tsn)] = on_answer
        self.send_zcl(meter.endpoint, cluster, payload, dst_nwk=meter.nwk)

    def query_cot(self, meter: Meter) -> None:
        if self.behaviour.query_method == "read_attributes":
            self.request(
                meter,
                DEVICE_MANAGEMENT,
                "read_attributes",
                self._on_cot_attributes,
                attribute_ids=[COT_UPDATE_TIME, COT_CONTROL],
            )
        else:
            self.request(meter, DEVICE_MANAGEMENT, "get_change_of_tenancy", self._on_get_cot_answer)

    def read_history(self, meter: Meter) -> None:
        self.request(meter, METERING, "read_attributes", self._on_history, attribute_ids=list(SERVED_HISTORY))

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        # A Publish CoT answer is handled like a pushed one; NOT_FOUND means no CoT.
        if zcl.command_name == "publish_change_of_tenancy":
            self.on_publish_cot(frame, zcl)

    def _on_cot_attributes(self, frame: AirFrame, zcl: ZclFrame) -> None:
        values = read_values(zcl)
        update_time = values.get(COT_UPDATE_TIME)
        if update_time:
            # Read this way the update date/time is the only identity of the event.
            self.consider_cot(int(update_time), int(update_time), self.meter_of(frame))  # type: ignore[call-overload]

    def _on_history(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meter_of(frame)
        if meter is None or meter.fuel is None or DataClass.CONSUMPTION_HISTORY not in self.shown:
            return
        for attr, value in read_values(zcl).items():
            if int(value):  # type: ignore[call-overload]
                self.shown[DataClass.CONSUMPTION_HISTORY].add((str(meter.fuel), attr, int(value)))  # type: ignore[call-overload]

    def meter_of(self, frame: AirFrame) -> Meter | None:
        return self.meters.get((frame.src_nwk, frame.src_ep))

    # -- incoming ZCL ---------------------------------------------------------------------
    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.direction is Direction.TO_CLIENT:
            handler = self._pending.pop((zcl.cluster_id, zcl.tsn), None)
            if handler is not None:
                handler(frame, zcl)
                return
        if zcl.cluster_id == BASIC and zcl.command_name == "read_attributes":
            self.answer_basic(frame, zcl)
        elif zcl.cluster_id == DEVICE_MANAGEMENT and zcl.is_cluster_specific:
            self.on_device_management(frame, zcl)
        elif zcl.is_cluster_specific and not zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "publish_change_of_tenancy":
            self.on_publish_cot(frame, zcl)
        elif zcl.command_name.startswith("unknown_"):
            self.default_response(frame, zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)
        elif not zcl.disable_default_response:
            # Other DM commands (e.g. Change of Supplier) are accepted and clear nothing.
            self.default_response(frame, zcl, foundation.Status.SUCCESS)

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if self.behaviour.malformed_reply != "malformed_command" or len(frame.payload) < 3:
            return
        # The header decoded even if the payload did not: answer that command and TSN.
        # Disable-default-response does not silence it: an error is always reported.
        _fc, tsn, command_id = frame.payload[0], frame.payload[1], frame.payload[2]
        self.reply(
            frame,
            codec.default_response(
                command_id,
                foundation.Status.MALFORMED_COMMAND,
                tsn=tsn,
                direction=Direction.TO_SERVER,
                cluster_id=frame.cluster_id,
            ),
        )

    # -- the Change of Tenancy -------------------------------------------------------------
    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if not zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.SUCCESS)
        self.consider_cot(
            zcl.fields["issuer_event_id"], zcl.fields["implementation_date_time"], self.meter_of(frame)
        )

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter: Meter | None) -> None:
        if self.last_actioned_cot is not None and issuer_event_id <= self.last_actioned_cot:
            return  # already actioned, or older than the last one: never clear again
        due = ZCL_EPOCH_UNIX + implementation_time
        if (
            self.behaviour.implementation_time == "scheduled"
            and implementation_time not in (0, 0xFFFFFFFF)
            and due > self.world.clock.now()
        ):
            self.world.clock.call_at(due, lambda: self.action_cot(issuer_event_id))
            return
        self.action_cot(issuer_event_id)

    def action_cot(self, issuer_event_id: int) -> None:
        if self.last_actioned_cot is not None and issuer_event_id <= self.last_actioned_cot:
            return
        self.last_actioned_cot = issuer_event_id
        for data_class in self.stores:
            self.clear(data_class)
        self.cleared_at.append(self.world.clock.now())
        for meter in self.known_meters():
            self.read_history(meter)  # the new occupier's data, so the display is not blank

    def clear(self, data_class: DataClass) -> None:
        self.shown[data_class].clear()

    # -- what the display shows (read by the simulation observer) -------------------------
    def displayed(self, data_class: DataClass) -> frozenset[Item] | None:
        """None: this device does not store the class at all."""
        if data_class not in self.shown:
            return None
        return frozenset(self.shown[data_class])
