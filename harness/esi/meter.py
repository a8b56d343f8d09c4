"""An emulated meter (ESME or GPF) as a Smart Energy server on one coordinator endpoint.

It answers the unit under test as a GB meter does (servers.py holds what it answers),
sends every answer once through the coordinator, and logs every request with the bench
time it arrived: the raw material of the query-behaviour cases. The harness can also make
it push (Publish CoT, Display Message), move its clock, or stop answering.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import overload

from harness.domain import Fuel
from harness.esi import servers
from harness.esi.tenant import Tenant
from harness.radio.coordinator import Coordinator
from harness.radio.trace import FrameRecord
from harness.zcl import codec
from harness.zcl.codec import Direction, ZclDecodeError
from harness.zcl.header import tsn_of
from harness.zcl.ids import DEVICE_MANAGEMENT, MESSAGING
from harness.zcl.time import UNIX_OFFSET

LOGGER = logging.getLogger(__name__)
CLEAR_IHD_DATA_CONSUMER = 0x00000200  # as in the GB RTDS GCS09 vector


@dataclasses.dataclass(frozen=True)
class CotEvent:
    """A Change of Tenancy as the meter publishes it."""

    issuer_event_id: int
    implementation_time: int  # ZCL UTC; 0 = now; 0xFFFFFFFF = cancel (scheduled policy)
    provider_id: int = 0
    tariff_type: int = 0
    change_control: int = CLEAR_IHD_DATA_CONSUMER

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

    at: float  # bench time
    cluster_id: int
    command: str
    record: FrameRecord
    fields: dict[str, object]

    @property
    def is_cot_query(self) -> bool:
        """Get Change of Tenancy, or Read Attributes of the tenancy attributes 0x0200/0x0201."""
        if self.cluster_id != DEVICE_MANAGEMENT:
            return False
        if self.command == "get_change_of_tenancy":
            return True
        return self.command == "read_attributes" and bool(
            {0x0200, 0x0201} & set(self.fields.get("attribute_ids", []))  # type: ignore[arg-type]
        )


class QueryLog(Sequence[Query]):
    """A meter's requests in the order they arrived, indexed as they arrive: the CoT
    queries by bench time (for `since` look-ups by bisection, not a scan of the whole log on
    every pass of a wait) and the TSNs of every request (what an answer echoes). The cost of
    a look-up stays flat however chatty the unit is over a 24 h soak."""

    def __init__(self) -> None:
        self._all: list[Query] = []
        self._cot: list[Query] = []
        self._cot_at: list[float] = []  # _cot's arrival times, non-decreasing while _in_order
        # The bench clock of a lab is the wall clock, which an NTP step can move back: then
        # bisection would miss a query, so the look-up falls back to the scan it replaces.
        self._in_order = True
        self._tsns: set[int | None] = set()

    def append(self, query: Query) -> None:
        self._all.append(query)
        self._tsns.add(tsn_of(query.record.payload))
        if query.is_cot_query:
            if self._cot_at and query.at < self._cot_at[-1]:
                self._in_order = False
            self._cot.append(query)
            self._cot_at.append(query.at)

    def __len__(self) -> int:
        return len(self._all)

    @overload
    def __getitem__(self, index: int) -> Query: ...
    @overload
    def __getitem__(self, index: slice) -> list[Query]: ...
    def __getitem__(self, index: int | slice) -> Query | list[Query]:
        return self._all[index]

    def __iter__(self) -> Iterator[Query]:
        return iter(self._all)

    def cot_since(self, since: float) -> list[Query]:
        """The CoT queries that arrived at or after `since`, in arrival order."""
        if not self._in_order:
            return [q for q in self._cot if q.at >= since]
        return self._cot[bisect.bisect_left(self._cot_at, since) :]

    def tsns(self) -> frozenset[int | None]:
        """The TSN of every request logged (None: a request too short to carry one)."""
        return frozenset(self._tsns)


class EmulatedMeter:
    """A GB meter's HAN server side on one endpoint of the harness coordinator."""

    def __init__(
        self,
        source: str,
        endpoint: int,
        fuel: Fuel,
        coordinator: Coordinator,
        uut_nwk: Callable[[], int | None],
        tenant: Tenant,
    ) -> None:
        self.source = source
        self.endpoint = endpoint
        self.fuel = fuel
        self.coordinator = coordinator
        self._uut_nwk = uut_nwk
        self.tenant = tenant
        self.cot: CotEvent | None = None
        self.queries = QueryLog()
        self.answering = True  # False: the meter is unreachable (requests go unanswered)
        # Requests it logs but leaves unanswered (SEC-03/04/07: a spoofer answers them instead).
        self.withheld: Callable[[Query], bool] | None = None
        self.time_offset = 0.0  # seconds added to the bench clock in the Time cluster
        # A new occupier has had no supplier message yet: Get Last Message answers NOT_FOUND
        # until the supplier sends one (a device that keeps the old one is then caught).
        self.message_published = True
        self._tasks: set[asyncio.Task[object]] = set()
        self._stopped = False  # set by stop(): the bench is closing, nothing more is answered

    @property
    def label(self) -> str:
        return f"{self.source.upper()} (ep {self.endpoint})"

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def zcl_time(self) -> int:
        return int(self.coordinator.waiter.now() + self.time_offset) - UNIX_OFFSET

    def cot_queries(self, since: float = 0.0) -> list[Query]:
        return self.queries.cot_since(since)

    # -- the claimer installed on the radio --------------------------------------------
    def claim(self, record: FrameRecord) -> bool:
        if record.dst_ep != self.endpoint or record.src_nwk != self._uut_nwk():
            return False
        try:
            zcl = codec.decode(record.cluster_id, record.payload)
        except ZclDecodeError:
            return True  # a real meter drops what it cannot parse; the tap keeps it
        if zcl.direction is not Direction.TO_SERVER:
            return False  # responses (e.g. to zigpy's interview) go on to zigpy
        if not zcl.is_cluster_specific and zcl.command_name != "read_attributes":
            return False
        # When it arrived is the frame's own time (its stamp), not the time read now: a
        # stepped clock gives a case's "since" and the frames after it distinct times.
        query = Query(record.timestamp, record.cluster_id, zcl.command_name, record, dict(zcl.fields))
        self.queries.append(query)
        if self.answering and not (self.withheld is not None and self.withheld(query)):
            frames = servers.answers(self, zcl)
            if frames:
                self._send_soon(record, *frames)
        return True

    def _send_soon(self, request: FrameRecord, *payloads: bytes) -> None:
        if self._stopped:
            return  # the bench is closing: a task started now would outlive the coordinator

        # One task for all of an answer's frames: the parts of a split log leave in order.
        async def send_in_order() -> None:
            for payload in payloads:
                await self.coordinator.send(
                    dst_nwk=request.src_nwk,
                    dst_ep=request.src_ep,
                    src_ep=self.endpoint,
                    cluster_id=request.cluster_id,
                    payload=payload,
                )

        task = asyncio.get_running_loop().create_task(send_in_order())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """End the answers still in flight when the bench closes: a task left to the closing
        loop would run its sends against a stopped coordinator, and its errors would surface
        later in whatever code the garbage collector happens to run in. A request arriving
        after this (the unit is still on the air until the coordinator stops) goes unanswered."""
        self._stopped = True
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- pushes ---------------------------------------------------------------------------
    async def push(
        self, uut_nwk: int, uut_ep: int, cluster_id: int, payload: bytes, aps_security: bool | None = None
    ) -> FrameRecord:
        return await self.coordinator.send(
            dst_nwk=uut_nwk,
            dst_ep=uut_ep,
            src_ep=self.endpoint,
            cluster_id=cluster_id,
            payload=payload,
            aps_security=aps_security,
        )

    def publish_cot_frame(self, event: CotEvent, *, tsn: int, disable_default_response: bool = False) -> bytes:
        return codec.build(
            DEVICE_MANAGEMENT,
            "publish_change_of_tenancy",
            tsn=tsn,
            disable_default_response=disable_default_response,
            **event.publish_fields(),
        )

    def cancel_message_frame(self, message_id: int, *, tsn: int) -> bytes:
        """Cancel Message (how a meter withdraws one supplier message)."""
        return codec.build(MESSAGING, "cancel_message", tsn=tsn, message_id=message_id, message_control=0)

    def cancel_all_messages_frame(self, *, tsn: int, implementation_time: int = 0) -> bytes:
        """Cancel All Messages (0 = now)."""
        return codec.build(MESSAGING, "cancel_all_messages", tsn=tsn, implementation_date_time=implementation_time)

    def display_message_frame(self, *, tsn: int) -> bytes | None:
        fields = servers.display_message_fields(self)
        return None if fields is None else codec.build(MESSAGING, "display_message", tsn=tsn, **fields)
