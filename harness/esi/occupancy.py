"""Occupiers and Change of Tenancy state, as the emulated meters hold them.

Who is in residence, who moves in next, the CoT the meters hold and publish, and the
supplier's messages to the occupier in residence. Changes to the meters are made on the
bench loop (where the meters answer the unit), through the small interfaces below.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from harness.domain import DATA_CLASSES, DataClass
from harness.esi.meter import CotEvent, EmulatedMeter
from harness.esi.tenancy import Tenancy
from harness.esi.tenant import Tenant
from harness.radio.coordinator import DeliveryFailed
from harness.radio.trace import FrameRecord
from harness.zcl import ids
from harness.zcl.time import ZCL_EPOCH_UNIX

T = TypeVar("T")


class LoopLike(Protocol):
    def now(self) -> float: ...

    def call_on_loop(self, fn: Callable[[], T]) -> T: ...

    def run_coroutine(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T: ...


class PushLink(Protocol):
    """What occupancy needs of the link to the unit: push a frame, wait for its answer."""

    def address(self) -> int | None: ...

    def send(self, source: str, cluster_id: int, payload: bytes) -> FrameRecord: ...

    def next_tsn(self) -> int: ...

    def expect_answer(self, sent: FrameRecord, what: str, timeout: float | None = None) -> FrameRecord | None: ...


class Occupancy:
    def __init__(self, loop: LoopLike, link: PushLink, meters: dict[str, EmulatedMeter]) -> None:
        self._loop = loop
        self._link = link
        self.meters = meters
        self.tenancy = Tenancy()

    @property
    def resident(self) -> Tenant:
        return self.tenancy.resident

    @property
    def upcoming(self) -> Tenant:
        return self.tenancy.upcoming

    def zcl_now(self) -> int:
        return int(self._loop.now()) - ZCL_EPOCH_UNIX

    def cot_event(
        self, implementation_time: int | None = None, *, issuer_event_id: int | None = None, **cot_fields: int
    ) -> CotEvent:
        """A CoT newer than any issued. The implementation time defaults to the current
        time, as GB's DCC sets it; 0 ("now" by the SE convention) is left to IMPL-03.

        `issuer_event_id` names the ID instead of the next one (the Issuer Event ID range
        case, NEG-06); the IDs issued after it are still newer than it."""
        return CotEvent(
            issuer_event_id=(
                self.tenancy.next_issuer_event_id(self._loop.now())
                if issuer_event_id is None
                else self.tenancy.use_issuer_event_id(issuer_event_id)
            ),
            implementation_time=(
                self.tenancy.next_implementation_time(self.zcl_now())
                if implementation_time is None
                else implementation_time
            ),
            **cot_fields,
        )

    def move_in(
        self, implementation_time: int | None = None, *, issuer_event_id: int | None = None, **cot_fields: int
    ) -> tuple[Tenant, Tenant, CotEvent]:
        """A new occupier: the meters hold the CoT and serve the new occupier's data from now."""
        event = self.cot_event(implementation_time, issuer_event_id=issuer_event_id, **cot_fields)
        previous, new = self.tenancy.move_in()

        def apply() -> None:
            for meter in self.meters.values():
                meter.tenant = new
                meter.cot = event
                meter.message_published = False

        self._loop.call_on_loop(apply)
        return previous, new, event

    def cancel_move(self, cancel: CotEvent) -> Tenant:
        """A cancelled CoT: the meters serve the previous occupier again and hold the cancel."""
        resident = self.tenancy.move_back()

        def apply() -> None:
            for meter in self.meters.values():
                meter.tenant = resident
                meter.cot = cancel

        self._loop.call_on_loop(apply)
        return resident

    def set_meters(self, **state: object) -> None:
        def apply() -> None:
            for meter in self.meters.values():
                for name, value in state.items():
                    setattr(meter, name, value)

        self._loop.call_on_loop(apply)

    def before_observing(self, data_class: DataClass) -> None:
        """What the supplier does before a class can be shown: send the occupier a message."""
        if DATA_CLASSES[data_class].pushed_by_supplier:
            self.publish_supplier_messages()

    def publish_supplier_messages(self) -> None:
        """The supplier sends the occupier in residence a message: the meters serve it and
        push it to the unit (Display Message), as a GB meter relays a supplier message."""
        uut = self._link.address()
        for meter in [m for m in self.meters.values() if not m.message_published]:
            self._loop.call_on_loop(lambda m=meter: setattr(m, "message_published", True))
            frame = meter.display_message_frame(tsn=self._link.next_tsn())
            if frame is None or uut is None:
                continue
            try:
                sent = self._link.send(meter.source, ids.MESSAGING, frame)
            except DeliveryFailed:
                # Not delivered: the unit polls Get Last Message and will fetch it anyway.
                continue
            # Wait for the unit's acknowledgement: a push still in flight when a case's
            # CoT goes out would land after it and look like data coming back.
            self._link.expect_answer(sent, "the unit's Default Response to Display Message")
