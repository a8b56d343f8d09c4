"""An emulated meter (ESME or GPF) as a Smart Energy server on one coordinator endpoint.

It answers the unit under test the way a GB meter does: Get Change of Tenancy with the
CoT it holds or NOT_FOUND, Read Attributes from the current occupier's data, and Default
Response UNSUP_CLUSTER_COMMAND for commands it does not serve. Every answer goes out once
through the coordinator, and every request is logged with the bench time it arrived, the
raw material of the query-behaviour cases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from zigpy.zcl import foundation

from harness.esi.tenant import PREVIOUS_OCCUPIER, SERVED_HISTORY, Fuel, Tenant
from harness.radio.coordinator import Coordinator
from harness.radio.trace import FrameRecord
from harness.zcl import codec
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import Direction, ZclDecodeError, ZclFrame
from harness.zcl.metering import HISTORY_ATTRIBUTES

LOGGER = logging.getLogger(__name__)

BASIC, TIME, METERING, DEVICE_MANAGEMENT = 0x0000, 0x000A, 0x0702, 0x0708
METERING_DEVICE_TYPE = 0x0306
ZCL_EPOCH_UNIX = 946684800


@dataclasses.dataclass(frozen=True)
class CotEvent:
    """A Change of Tenancy as the meter publishes it."""

    issuer_event_id: int
    implementation_time: int  # ZCL UTC; 0 = now
    provider_id: int = 0
    tariff_type: int = 0
    change_control: int = 0x00000200  # Clear IHD Data - Consumer, as in the GB RTDS vector

    def publish_fields(self) -> dict[str, int]:
        return {
            "provider_id": self.provider_id,
            "issuer_event_id": self.issuer_event_id,
            "tariff_type": self.tariff_type,
            "implementation_date_time": self.implementation_time,
            "proposed_tenancy_change_control": self.change_control,
        }


@dataclasses.dataclass(frozen=True)
class Query:
    """One request from the unit under test, as the meter saw it."""

    at: float
    cluster_id: int
    command: str
    record: FrameRecord


class EmulatedMeter:
    """A GB meter's HAN server side on one endpoint of the harness coordinator."""

    def __init__(
        self,
        source: str,
        endpoint: int,
        fuel: Fuel,
        coordinator: Coordinator,
        uut_nwk: Callable[[], int | None],
    ) -> None:
        self.source = source
        self.endpoint = endpoint
        self.fuel = fuel
        self.coordinator = coordinator
        self._uut_nwk = uut_nwk
        self.tenant: Tenant = PREVIOUS_OCCUPIER
        self.cot: CotEvent | None = None
        self.queries: list[Query] = []
        self.answering = True  # False: the meter is unreachable (POLL-02)
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._tasks)

    # -- the claimer installed on the radio --------------------------------------------
    def claim(self, record: FrameRecord) -> bool:
        if record.dst_ep != self.endpoint or record.src_nwk != self._uut_nwk():
            return False
        try:
            zcl = codec.decode(record.cluster_id, record.payload)
        except ZclDecodeError:
            return True  # a real meter drops what it cannot parse; the tap keeps it
        if not zcl.is_cluster_specific and zcl.command_name not in ("read_attributes",):
            return False  # responses to zigpy's own requests go on to zigpy
        if zcl.direction is not Direction.TO_SERVER:
            return False
        self.queries.append(Query(self.coordinator.waiter.now(), record.cluster_id, zcl.command_name, record))
        if self.answering:
            answer = self.answer(zcl)
            if answer is not None:
                self._send_soon(record, answer)
        return True

    def answer(self, zcl: ZclFrame) -> bytes | None:
        if zcl.command_name == "read_attributes":
            return self._read_attributes(zcl)
        if zcl.cluster_id == DEVICE_MANAGEMENT and zcl.command_name == "get_change_of_tenancy":
            if self.cot is None:
                return codec.default_response_to(zcl, foundation.Status.NOT_FOUND)
            # The answer is a Publish CoT; it echoes the request's TSN.
            return codec.build(
                DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=zcl.tsn, **self.cot.publish_fields()
            )
        if zcl.disable_default_response:
            return None
        return codec.default_response_to(zcl, foundation.Status.UNSUP_CLUSTER_COMMAND)

    def _attribute_table(self, cluster_id: int) -> dict[int, tuple[foundation.DataTypeId, int]]:
        T = foundation.DataTypeId
        if cluster_id == METERING:
            table = {METERING_DEVICE_TYPE: (T.map8, 0 if self.fuel is Fuel.ELECTRICITY else 1)}
            history = self.tenant.consumption.get(self.fuel, {})
            for attr in SERVED_HISTORY:
                type_id = T.uint32 if HISTORY_ATTRIBUTES[attr].type.__name__ == "uint32_t" else T.uint24
                table[attr] = (type_id, history.get(attr, 0))
            return table
        if cluster_id == DEVICE_MANAGEMENT and self.cot is not None:
            return {0x0200: (T.UTC, self.cot.implementation_time), 0x0201: (T.map32, self.cot.change_control)}
        if cluster_id == TIME:
            now = int(self.coordinator.waiter.now()) - ZCL_EPOCH_UNIX
            return {0x0000: (T.UTC, now), 0x0001: (T.map8, 0b0000_0011)}  # master, synchronised
        if cluster_id == BASIC:
            return {0x0000: (T.uint8, 3)}
        return {}

    def _read_attributes(self, zcl: ZclFrame) -> bytes:
        return read_attributes_rsp(zcl, self._attribute_table(zcl.cluster_id))

    # -- sending ------------------------------------------------------------------------
    def _send_soon(self, request: FrameRecord, payload: bytes) -> None:
        task = asyncio.get_running_loop().create_task(
            self.coordinator.send(
                dst_nwk=request.src_nwk,
                dst_ep=request.src_ep,
                src_ep=self.endpoint,
                cluster_id=request.cluster_id,
                payload=payload,
            )
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def publish_cot(
        self,
        uut_nwk: int,
        uut_ep: int,
        *,
        tsn: int,
        event: CotEvent | None = None,
        disable_default_response: bool = False,
        payload: bytes | None = None,
    ) -> tuple[FrameRecord, bytes]:
        """Push a Publish Change of Tenancy (or the given raw payload) to the unit."""
        frame = (
            payload
            if payload is not None
            else codec.build(
                DEVICE_MANAGEMENT,
                "publish_change_of_tenancy",
                tsn=tsn,
                disable_default_response=disable_default_response,
                **(event or self.cot or CotEvent(0, 0)).publish_fields(),
            )
        )
        record = await self.coordinator.send(
            dst_nwk=uut_nwk, dst_ep=uut_ep, src_ep=self.endpoint, cluster_id=DEVICE_MANAGEMENT, payload=frame
        )
        return record, frame
