"""zigpy-znp's ControllerApplication with the fixes a Smart Energy bench needs.

zigpy 2.4 drops profile 0x0109 frames before any cluster sees them, sends everything
from endpoint 1 (HA), retries silently, and answers cluster commands with automatic
Default Responses. A conformance bench needs the opposite on each point:
- every frame is recorded first (the tap), before zigpy filters or drops anything;
- frames for the harness's emulated meters are claimed by the harness (no automatic
  answers), the rest reach zigpy's ZCL layer with SE frames relabelled so zigpy parses them;
- a frame leaves from the endpoint the harness names (the ESME's or the GPF's);
- harness sends are made once: what the unit under test receives is what the case sent.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable

import zigpy.profiles.zha
import zigpy.types as zt
from zigpy_znp.zigbee.application import ControllerApplication

from harness.errors import CoordinatorError
from harness.radio import seams
from harness.radio.trace import Direction, FrameRecord, FrameTrace
from harness.zcl.header import parse_header
from harness.zcl.ids import SE_PROFILE

Claimer = Callable[[FrameRecord], bool]

# The source endpoint a harness send asked for; zigpy-znp otherwise picks one itself.
_requested_src_ep: contextvars.ContextVar[int | None] = contextvars.ContextVar("requested_src_ep", default=None)


class HarnessZnpApp(ControllerApplication):
    """The unmodified zigpy-znp stack with a tap, claimers and endpoint control."""

    def __init__(self, config: dict) -> None:
        super().__init__(config)
        self.trace = FrameTrace()
        self.now: Callable[[], float] = time.time  # replaced by the bench clock
        self._claimers: list[Claimer] = []
        self.packets_in = 0  # every packet zigpy-znp handed up
        self.data_in = 0  # AF.IncomingMsg and ZDO.MsgCbIncoming handled
        self.sends_started = 0  # data requests handed down to zigpy-znp ...
        self.sends_done = 0  # ... and finished (confirmed or failed)
        self.unsolicited_swallowed = 0  # frames from the unit zigpy would have answered itself
        self.mt_out = 0  # MT frames written to the stick
        self.mt_in = 0  # MT frames parsed from the stick

    async def connect(self) -> None:
        await super().connect()
        # Count MT frames both ways (instrumentation only: behaviour is zigpy-znp's), so a
        # simulated bench knows when nothing is in flight on the serial link.
        znp = seams.znp_of(self)
        assert znp is not None

        def sent() -> None:
            self.mt_out += 1

        def parsed() -> None:
            self.mt_in += 1

        seams.tap_mt_frames(znp, on_send=sent, on_receive=parsed)

    def add_claimer(self, claimer: Claimer) -> None:
        """A claimer returns True for frames it handles itself (zigpy never sees them)."""
        self._claimers.append(claimer)

    # -- receive ---------------------------------------------------------------------
    def packet_received(self, packet: zt.ZigbeePacket) -> None:
        self.packets_in += 1
        own_nwk = self.state.node_info.nwk
        src_nwk = packet.src.address if packet.src.addr_mode == zt.AddrMode.NWK else None
        if src_nwk is None or src_nwk == own_nwk:
            # zigpy-znp loops the coordinator's own ZDO traffic back: not air traffic.
            super().packet_received(packet)
            return
        record = self.trace.append(
            timestamp=self.now(),
            direction=Direction.RX,
            src_nwk=src_nwk,
            src_ep=packet.src_ep,
            dst_nwk=own_nwk,
            dst_ep=packet.dst_ep,
            profile_id=packet.profile_id,
            cluster_id=packet.cluster_id,
            payload=packet.data.serialize(),
            src_ieee=self._ieee_of(src_nwk),
            dst_ieee=str(self.state.node_info.ieee),
            lqi=packet.lqi,
            aps_counter=packet.tsn,
            aps_secured=zt.TransmitOptions.APS_Encryption in packet.tx_options,
        )
        if any(claim(record) for claim in list(self._claimers)):
            return
        if packet.dst_ep != 0 and not self._answers_zigpy_request(packet, record.payload):
            # zigpy would answer an unsolicited frame itself (Default Responses, even to a
            # Default Response): on a conformance bench only the case speaks to the unit.
            self.unsolicited_swallowed += 1
            return
        if packet.profile_id == SE_PROFILE:
            # zigpy parses ZCL only for HA/ZLL; SE frames share the ZCL encoding.
            packet = packet.replace(profile_id=zigpy.profiles.zha.PROFILE_ID)
        super().packet_received(packet)

    def _answers_zigpy_request(self, packet: zt.ZigbeePacket, payload: bytes) -> bool:
        """Is this ZCL frame (`payload`, the packet's octets) the answer to a request zigpy
        itself is waiting for (its interview's Basic read)? Matched as zigpy matches:
        endpoint, cluster, direction, TSN. The header is read by harness.zcl.header (the
        same octets as zigpy's ZCLHeader, tests/zcl/test_header_fast.py), not zigpy's
        struct: this runs for every frame of the unit's that no meter claims."""
        try:
            device = self.get_device_with_address(packet.src)
            header = parse_header(payload)
        except (KeyError, ValueError):
            return False
        return seams.zigpy_awaits_response(
            device,
            endpoint_id=packet.src_ep,
            cluster_id=packet.cluster_id,
            direction=header.direction.to_zigpy(),
            tsn=header.tsn,
        )

    def _ieee_of(self, nwk: int) -> str | None:
        for device in self.devices.values():
            if device.nwk == nwk:
                return str(device.ieee)
        return None

    # -- send ------------------------------------------------------------------------
    async def send_once(self, packet: zt.ZigbeePacket) -> FrameRecord:
        """Send a harness frame exactly once, from packet.src_ep, and record it.

        zigpy-znp's send_packet repairs routes and resends on some failures; a
        conformance case must see a delivery failure instead of a hidden second attempt.
        """
        token = _requested_src_ep.set(packet.src_ep)
        try:
            async with seams.limit_concurrency(self, priority=packet.priority):
                return await self._send_recorded(packet)
        finally:
            try:
                _requested_src_ep.reset(token)
            except ValueError:
                # Finalised by the garbage collector after its loop closed (a send still in
                # flight at the session's end), outside the task's context: nothing reads it now.
                pass

    async def _send_recorded(self, packet: zt.ZigbeePacket) -> FrameRecord:
        from zigpy_znp import types as znp_t
        from zigpy_znp.commands import af

        src_ep = seams.find_endpoint(self, packet.dst_ep, packet.profile_id, packet.cluster_id)
        endpoints = seams.coordinator_device(self).endpoints
        # Endpoint 0 is zigpy's ZDO object, which has no profile: a ZDO request keeps the packet's (0).
        profile = (
            getattr(endpoints[src_ep], "profile_id", packet.profile_id) if src_ep in endpoints else packet.profile_id
        )
        record = self.trace.append(
            timestamp=self.now(),
            direction=Direction.TX,
            src_nwk=self.state.node_info.nwk,
            src_ep=src_ep,
            dst_nwk=packet.dst.address,
            dst_ep=packet.dst_ep,
            profile_id=profile,
            cluster_id=packet.cluster_id,
            payload=packet.data.serialize(),
            src_ieee=str(self.state.node_info.ieee),
            dst_ieee=self._ieee_of(packet.dst.address),
            aps_secured=zt.TransmitOptions.APS_Encryption in packet.tx_options,
        )
        options = af.TransmitOptions.SUPPRESS_ROUTE_DISC_NETWORK
        if zt.TransmitOptions.ACK in packet.tx_options:
            options |= af.TransmitOptions.ACK_REQUEST
        if zt.TransmitOptions.APS_Encryption in packet.tx_options:
            # As zigpy-znp's own send_packet maps it: Z-Stack secures the frame at the APS
            # layer with its link key for the destination (the key CBKE installed).
            options |= af.TransmitOptions.ENABLE_SECURITY
        await seams.send_request_raw(
            self,
            dst_addr=znp_t.AddrModeAddress.from_zigpy_type(packet.dst),
            dst_ep=packet.dst_ep,
            src_ep=src_ep,
            profile=packet.profile_id,
            cluster=packet.cluster_id,
            sequence=packet.tsn,
            options=options,
            radius=packet.radius or 0,
            data=packet.data.serialize(),
        )
        return record

    # An override of a zigpy-znp private method: a seam, listed in
    # seams.OVERRIDDEN_PRIVATE_METHODS. Every data request, ours or zigpy's, passes here.
    async def _send_request_raw(self, *args: object, **kwargs: object) -> None:
        self.sends_started += 1
        try:
            await seams.stock_send_request_raw(self, *args, **kwargs)
        finally:
            self.sends_done += 1

    async def on_af_message(self, msg: object) -> None:
        self.data_in += 1
        await super().on_af_message(msg)  # type: ignore[arg-type]

    async def on_zdo_message(self, msg: object) -> None:
        self.data_in += 1
        await super().on_zdo_message(msg)  # type: ignore[arg-type]

    def idle(self) -> bool:
        """No data request of ours is still on its way down."""
        return self.sends_started == self.sends_done

    def knows(self, ieee: str) -> bool:
        """zigpy has created the device (its join has been handled)."""
        return zt.EUI64.convert(ieee) in self.devices

    # An override of a zigpy-znp private method: a seam, listed in
    # seams.OVERRIDDEN_PRIVATE_METHODS. zigpy-znp's _send_request_raw asks it for the
    # source endpoint; a harness send gets the one it named, or is refused: sent from
    # another endpoint (zigpy-znp's choice), a spoofed Publish CoT would come from an ESI
    # and a case would judge the unit on a frame it never sent.
    def _find_endpoint(self, dst_ep: int, profile: int, cluster: int) -> int:
        requested = _requested_src_ep.get()
        if not requested or dst_ep == 0:  # not a harness send, or ZDO (endpoint 0)
            return seams.stock_find_endpoint(self, dst_ep, profile, cluster)
        endpoint = seams.coordinator_device(self).endpoints.get(requested)
        if endpoint is None or getattr(endpoint, "profile_id", None) != profile:
            registered = sorted(ep for ep in seams.coordinator_device(self).endpoints if ep != 0)
            raise CoordinatorError(
                f"a frame (profile 0x{profile:04X}, cluster 0x{cluster:04X}) was to leave from coordinator "
                f"endpoint {requested}, which is not registered with that profile (registered: {registered}); "
                "the harness never sends it from another endpoint"
            )
        return requested
