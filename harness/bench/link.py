"""The link to the unit under test: frames sent once from an emulated meter's endpoint,
frames expected from the unit with a deadline, attributes read over the air.

Matching is by ZCL header fields (harness.zcl.header), never by indexing payload bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import zigpy.types as zt

from harness.errors import BenchError, ObserverError
from harness.radio.coordinator import SILENT_AFTER, Coordinator, DeliveryFailed
from harness.radio.trace import FrameRecord, normal_ieee, sender_of, sent_by
from harness.zcl import codec, ids
from harness.zcl.attributes import read_values
from harness.zcl.codec import Direction
from harness.zcl.header import answers, parse_header
from harness.zcl.ids import SE_PROFILE

if TYPE_CHECKING:
    from harness.bench.loop import BenchLoop
    from harness.esi.meter import CotEvent, EmulatedMeter
    from harness.profile import Profile

Match = Callable[[FrameRecord], bool]


@dataclasses.dataclass(frozen=True)
class EndpointDescriptor:
    """One of the unit's simple descriptors, as zigpy's interview read it."""

    endpoint: int
    profile_id: int
    device_type: int
    in_clusters: frozenset[int]
    out_clusters: frozenset[int]


class UutLink:
    def __init__(self, loop: BenchLoop, profile: Profile) -> None:
        self._loop = loop
        self.ieee = profile.identity.ieee
        self.endpoint = profile.identity.endpoint
        self.response_timeout = profile.timings.response_timeout.total_seconds()
        self._default_source = profile.esi.sources[0].value if profile.esi.sources else None
        self.coordinator: Coordinator | None = None
        self.meters: dict[str, EmulatedMeter] = {}
        self.nwk: int | None = None  # the unit's NWK address once it joined and was interviewed
        # The coordinator's HAN client endpoints when the unit is a meter (the harness plays
        # the IHD: harness.esi.han_client); empty when the harness plays the meters.
        self.client_endpoints: tuple[int, ...] = ()

    def attach(self, coordinator: Coordinator, meters: dict[str, EmulatedMeter]) -> None:
        self.coordinator = coordinator
        self.meters = meters

    def _coordinator(self) -> Coordinator:
        if self.coordinator is None:
            raise BenchError("the coordinator is not started")
        return self.coordinator

    def address(self) -> int | None:
        """The unit's NWK address as soon as it has joined (before zigpy's interview ends):
        it queries the meters right after joining and must be answered then."""
        app = self.coordinator.app if self.coordinator else None
        if app is None:
            return self.nwk
        device = app.devices.get(zt.EUI64.convert(self.ieee))
        return device.nwk if device is not None else self.nwk

    def coordinator_ieee(self) -> zt.EUI64:
        """The coordinator's own IEEE address (a binding's destination names it)."""
        app = self._coordinator().app
        if app is None:
            raise BenchError("the coordinator is not started")
        return app.state.node_info.ieee

    def descriptor(self, endpoint: int) -> EndpointDescriptor | None:
        """The unit's simple descriptor on `endpoint` from the interview; None if not active."""
        app = self._coordinator().app
        device = app.devices.get(zt.EUI64.convert(self.ieee)) if app is not None else None
        ep = device.endpoints.get(endpoint) if device is not None else None
        if ep is None or not hasattr(ep, "profile_id"):  # endpoint 0 is zigpy's ZDO object
            return None
        return EndpointDescriptor(
            endpoint, ep.profile_id, ep.device_type, frozenset(ep.in_clusters), frozenset(ep.out_clusters)
        )

    # -- the trace ---------------------------------------------------------------------
    def mark(self) -> int:
        return self._coordinator().trace.mark()

    def frames_since(self, mark: int) -> list[FrameRecord]:
        return self._coordinator().trace.since(mark)

    def next_tsn(self) -> int:
        return self._coordinator().next_tsn()

    def unit_frames_since(self, mark: int) -> list[FrameRecord]:
        """The frames the unit sent from trace mark `mark` on, told by its IEEE address
        (identity.ieee), not its NWK address: under whichever address it had when it sent
        each, if it rejoined under another in the session (harness.radio.trace.sent_by)."""
        return sent_by(self._coordinator().trace.since(0), self.ieee, since=mark)

    def from_unit(self, record: FrameRecord) -> bool:
        """Whether the unit sent `record` (by its IEEE address, as unit_frames_since)."""
        if record.src_ieee:  # the common case: no copy of the trace for each frame matched
            return normal_ieee(record.src_ieee) == normal_ieee(self.ieee)
        return sender_of(record, self._coordinator().trace.since(0)) == normal_ieee(self.ieee)

    # -- sending -------------------------------------------------------------------------
    def send(self, source: str, cluster_id: int, payload: bytes, aps_security: bool | None = None) -> FrameRecord:
        """One frame from an emulated meter's endpoint to the unit, sent once (`aps_security`:
        Coordinator.send's; None is the bench's own choice)."""
        meter = self.meters[source]
        uut = self.address()
        if uut is None:
            raise BenchError("the unit has no NWK address: it is not on the network")
        return self._loop.run_coroutine(meter.push(uut, self.endpoint, cluster_id, payload, aps_security))

    def publish_cot(self, source: str, event: CotEvent, *, disable_default_response: bool = False) -> FrameRecord:
        frame = self.meters[source].publish_cot_frame(
            event, tsn=self.next_tsn(), disable_default_response=disable_default_response
        )
        return self.send(source, ids.DEVICE_MANAGEMENT, frame)

    def send_from(
        self,
        src_ep: int,
        cluster_id: int,
        payload: bytes,
        *,
        dst_ep: int | None = None,
        profile_id: int = SE_PROFILE,
        aps_security: bool | None = None,
    ) -> FrameRecord:
        """One frame to the unit from a registered coordinator endpoint (a HAN client endpoint;
        0 with profile 0 for ZDO), sent once, to identity.endpoint unless `dst_ep` says
        (`aps_security`: Coordinator.send's)."""
        coordinator, uut = self._coordinator(), self.address()
        if uut is None:
            raise BenchError("the unit has no NWK address: it is not on the network")
        return self._loop.run_coroutine(
            coordinator.send(
                dst_nwk=uut,
                dst_ep=self.endpoint if dst_ep is None else dst_ep,
                src_ep=src_ep,
                cluster_id=cluster_id,
                payload=payload,
                profile_id=profile_id,
                aps_security=aps_security,
            )
        )

    @property
    def rogue_endpoint(self) -> int:
        """The coordinator endpoint that is no ESI (harness.radio.coordinator.ROGUE_ENDPOINT)."""
        return self._coordinator().settings.rogue_endpoint

    def send_from_rogue(self, cluster_id: int, payload: bytes) -> FrameRecord:
        """One frame to the unit from the rogue endpoint, sent once: the same node (the
        coordinator, the trust centre) as the meters, but an endpoint no unit may take a
        CoT from. Frames the unit sends back to it reach no emulated meter."""
        coordinator, uut = self._coordinator(), self.address()
        if uut is None:
            raise BenchError("the unit has no NWK address: it is not on the network")
        return self._loop.run_coroutine(
            coordinator.send(
                dst_nwk=uut, dst_ep=self.endpoint, src_ep=self.rogue_endpoint, cluster_id=cluster_id, payload=payload
            )
        )

    # -- expecting -------------------------------------------------------------------------
    def expect(self, match: Match, *, since: int, timeout: float, what: str) -> FrameRecord | None:
        """The first frame from the unit after trace mark `since` that matches, or None."""
        coordinator = self._coordinator()
        return self._loop.run_coroutine(
            coordinator.expect(
                lambda r: r.src_nwk == self.address() and match(r), since=since, timeout=timeout, what=what
            )
        )

    def expect_from_unit(self, match: Match, *, since: int, timeout: float, what: str) -> FrameRecord | None:
        """As expect, the unit told by its IEEE address (from_unit) rather than the NWK address
        it has now: a frame it sent under an address since left counts."""
        return self._loop.run_coroutine(
            self._coordinator().expect(
                lambda r: self.from_unit(r) and match(r), since=since, timeout=timeout, what=what
            )
        )

    def expect_answer(self, sent: FrameRecord, what: str, timeout: float | None = None) -> FrameRecord | None:
        """The unit's answer to `sent`: same cluster, the TSN echoed (ZCL requires it)."""
        tsn = parse_header(sent.payload).tsn
        return self.expect(
            lambda r: r.cluster_id == sent.cluster_id and answers(r.payload, tsn=tsn),
            since=sent.seq,
            timeout=self.response_timeout if timeout is None else timeout,
            what=what,
        )

    # -- asking ------------------------------------------------------------------------------
    def ping(self, source: str | None = None) -> FrameRecord | None:
        """Is the unit still answering? Read Attributes of Basic ZCL version; its answer or None."""
        source = source or self._default_source
        if source is None and not self.client_endpoints:
            raise BenchError("esi.sources is empty: there is no meter endpoint to ask the unit from")
        request = codec.build(
            ids.BASIC, "read_attributes", tsn=self.next_tsn(), direction=Direction.TO_SERVER, attribute_ids=[0x0000]
        )
        try:
            if source is None:  # a meter under test: asked from the harness's HAN client
                sent = self.send_from(self.client_endpoints[0], ids.BASIC, request)
            else:
                sent = self.send(source, ids.BASIC, request)
        except DeliveryFailed:
            return None  # not delivered: no answer (callers may try again)
        return self.expect_answer(sent, "the unit's answer to Read Attributes (Basic)")

    def check_on_air(self) -> None:
        """Is the unit still on the air? Asked when a case found the unit never did what it
        waited for (a precondition unmet): a unit that died mid-run sends nothing, so waits for
        it end one after another as unmet preconditions while no frame is sent that could find
        it gone. Up to SILENT_AFTER Read Attributes (Basic); when none reaches its radio and
        nothing is heard from it, the coordinator raises UnitSilent (fatal: the rest blocked).
        One frame the radio acknowledged is enough: the unit is there, the precondition stands."""
        source, uut = self._default_source, self.address()
        if source is None or uut is None:
            return  # no meter endpoint to ask from, or not on the network: nothing to probe
        for _ in range(SILENT_AFTER):
            request = codec.build(
                ids.BASIC, "read_attributes", tsn=self.next_tsn(), direction=Direction.TO_SERVER, attribute_ids=[0]
            )
            try:
                self.send(source, ids.BASIC, request)
            except DeliveryFailed:
                continue  # the coordinator counts it; the SILENT_AFTER-th raises UnitSilent
            return

    def read_attribute(self, cluster_id: int, attribute_id: int, endpoint: int | None = None) -> object | None:
        """Read one attribute of the unit over the air (the ZCL observer's way in)."""
        if self._default_source is None:
            raise ObserverError("a ZCL observer needs an ESI endpoint to read from (esi.sources is empty)")
        if self._loop.on_loop():
            raise ObserverError("an over-the-air read cannot be made from the bench loop itself")
        coordinator, meter, uut = self._coordinator(), self.meters[self._default_source], self.address()
        if uut is None:
            raise ObserverError("the unit has no NWK address: it is not on the network")
        tsn = self.next_tsn()
        request = codec.build(
            cluster_id, "read_attributes", tsn=tsn, direction=Direction.TO_SERVER, attribute_ids=[attribute_id]
        )

        async def read() -> FrameRecord | None:
            sent = await coordinator.send(
                dst_nwk=uut,
                dst_ep=endpoint or self.endpoint,
                src_ep=meter.endpoint,
                cluster_id=cluster_id,
                payload=request,
            )
            return await coordinator.expect(
                lambda r: r.cluster_id == cluster_id and answers(r.payload, tsn=tsn),
                since=sent.seq,
                timeout=self.response_timeout,
                what="attribute",
            )

        answer = self._loop.run_coroutine(read())
        if answer is None:
            raise ObserverError(f"the unit did not answer Read Attributes 0x{cluster_id:04X}/0x{attribute_id:04X}")
        return read_values(codec.decode(cluster_id, answer.payload)).get(attribute_id)
