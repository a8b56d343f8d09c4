"""MT AF handlers: endpoint registration and data requests, the host's path onto the air.

Separate because this is the data path of the stick: what the host sends becomes frames on
the simulated air (``_transmit``), ZDO requests addressed to the stick itself are answered
from its own descriptors, and the callbacks built here are shared with the air side.
"""

from __future__ import annotations

from typing import Any

import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t

from harness.sim import zdo
from harness.sim.air import COORDINATOR_NWK, AirFrame
from harness.sim.aps_link import seal
from harness.sim.zstack import af_frames
from harness.sim.zstack.core import LOGGER, EmulatorCore
from harness.sim.zstack.tables import advance_nwk_frame_counter

BROADCAST_RX_ON_WHEN_IDLE = 0xFFFD
NO_SUCH_DEVICE = 0xFFFE  # an IEEE address the address manager does not know
DEFAULT_TC_LINK_KEY = b"ZigBeeAlliance09"


class AfHandlers(EmulatorCore):
    """AF.Register, AF.Delete and AF.DataRequestExt (NWK, IEEE, group and broadcast
    addressing), and the frames they put on the air."""

    def _af_register(self, req: Any) -> t.CommandBase:
        if req.Endpoint in self.endpoints:
            return c.AF.Register.Rsp(Status=t.Status.INVALID_PARAMETER)
        self.endpoints[req.Endpoint] = zdo_t.SimpleDescriptor(
            endpoint=req.Endpoint,
            profile=req.ProfileId,
            device_type=req.DeviceId,
            device_version=req.DeviceVersion,
            input_clusters=list(req.InputClusters),
            output_clusters=list(req.OutputClusters),
        )
        return c.AF.Register.Rsp(Status=t.Status.SUCCESS)

    def _af_delete(self, req: Any) -> t.CommandBase:
        self.endpoints.pop(req.Endpoint, None)
        return c.AF.Delete.Rsp(Status=t.Status.SUCCESS)

    def _af_data_request(self, req: Any) -> t.CommandBase:
        dst = req.DstAddrModeAddress
        status, confirm = self._af_send(
            dst.mode, dst.address, req.DstEndpoint, req.SrcEndpoint, req.ClusterId, req.Options, bytes(req.Data)
        )
        if confirm is not None:
            self._later(c.AF.DataConfirm.Callback(Status=confirm, Endpoint=req.SrcEndpoint, TSN=req.TSN))
        return c.AF.DataRequestExt.Rsp(Status=status)

    def _fast_af_data_request(self, payload: bytes) -> bytes | None:
        """AF.DataRequestExt to an NWK address from its octets (the path of every ZCL frame
        the harness sends); None leaves any other request to `_af_data_request`."""
        req = af_frames.parse_nwk_data_request(payload)
        if req is None:
            return None
        status, confirm = self._af_send(
            t.AddrMode.NWK, req.dst_nwk, req.dst_ep, req.src_ep, req.cluster, req.options, req.data
        )
        if confirm is not None:
            self._later(af_frames.data_confirm(confirm, req.src_ep, req.tsn))
        return af_frames.status_payload(status)

    def _af_send(
        self, mode: t.AddrMode, address: Any, dst_ep: int, src_ep: int, cluster: int, options: int, data: bytes
    ) -> tuple[t.Status, t.Status | None]:
        """The stick's part of a data request: its SRSP status, and its DataConfirm's (None
        for none). One body for the command-object path and the raw one."""
        if not self.running:
            return t.Status.FAILURE, None  # not on a network yet
        confirm = True  # unicast and group frames end with AF.DataConfirm, broadcasts not
        if mode == t.AddrMode.NWK:
            dst_nwk = int(address)
        elif mode == t.AddrMode.Broadcast:
            dst_nwk = int(address)
            confirm = False
        elif mode == t.AddrMode.IEEE:
            # Z-Stack resolves the IEEE address through its address manager.
            known = self.joined.get(t.EUI64(address))
            if known is None and address == self.ieee:
                known = COORDINATOR_NWK
            dst_nwk = known if known is not None else NO_SUCH_DEVICE
        elif mode == t.AddrMode.Group:
            # A group frame is an NWK broadcast to rx-on-when-idle devices; group membership
            # is not modelled, so every rx-on node's endpoints see it as a broadcast.
            dst_nwk = BROADCAST_RX_ON_WHEN_IDLE
            dst_ep = 0xFF
        else:
            LOGGER.warning("emulated Z-Stack: unsupported address mode %s", mode)
            return t.Status.INVALID_PARAMETER, None
        if dst_ep == 0:
            # ZDO: the stick itself answers requests addressed to it; no DataConfirm.
            if dst_nwk == COORDINATOR_NWK:
                self._answer_own_zdo(cluster, data)
            elif dst_nwk != NO_SUCH_DEVICE:
                self._transmit(src_ep, dst_nwk, 0, 0x0000, cluster, data)
            return t.Status.SUCCESS, None
        src_desc = self.endpoints.get(src_ep)
        profile = src_desc.profile if src_desc else 0x0104
        # AF_EN_SECURITY: APS security with the trust centre's link key for the destination.
        secured = bool(options & c.af.TransmitOptions.ENABLE_SECURITY) and mode != t.AddrMode.Broadcast
        delivered = dst_nwk != NO_SUCH_DEVICE and self._transmit(
            src_ep, dst_nwk, dst_ep, profile, cluster, data, secured=secured
        )
        if not confirm:
            return t.Status.SUCCESS, None
        return t.Status.SUCCESS, (t.Status.SUCCESS if delivered or mode == t.AddrMode.Group else t.Status.MAC_NO_ACK)

    def _transmit(
        self, src_ep: int, dst_nwk: int, dst_ep: int, profile: int, cluster: int, data: bytes, secured: bool = False
    ) -> bool:
        self._aps_counter = (self._aps_counter + 1) & 0xFF
        advance_nwk_frame_counter(self.nvram)  # every NWK frame sent is secured with the next counter
        frame = AirFrame(COORDINATOR_NWK, src_ep, dst_nwk, dst_ep, profile, cluster, data, self._aps_counter)
        if secured:
            self.aps_frame_counter += 1
            frame = seal(
                frame,
                link_key=self.link_key_for(self.ieee_of(dst_nwk)),
                frame_counter=self.aps_frame_counter,
                source_ieee=self.ieee.serialize()[::-1],
            )
        return self.air.transmit(frame)

    def ieee_of(self, nwk: int) -> t.EUI64 | None:
        return next((ieee for ieee, known in self.joined.items() if known == nwk), None)

    def link_key_for(self, ieee: t.EUI64 | None) -> bytes:
        """The TCLK table's key for a device (what BDBAddInstallCode wrote), else the default
        trust-centre link key, as Z-Stack 3.x looks it up (APSME_LinkKeyNVIdGet)."""
        key = self.install_code_keys.get(ieee) if ieee is not None else None
        return key if key is not None else DEFAULT_TC_LINK_KEY

    def _own_descriptors(self) -> zdo.Descriptors:
        return zdo.Descriptors(
            ieee=self.ieee,
            logical_type=zdo_t.LogicalType.Coordinator,
            manufacturer_code=0x0000,
            endpoints=list(self.endpoints.values()),
        )

    def _own_zdo_answer(self, cluster: int, data: bytes) -> tuple[int, bytes] | None:
        """(response cluster, frame) for a ZDO request to the coordinator itself."""
        return self._own_descriptors().answer(COORDINATOR_NWK, cluster, data)

    def _answer_own_zdo(self, cluster: int, data: bytes) -> None:
        answer = self._own_zdo_answer(cluster, data)
        if answer is not None:
            rsp_cluster, frame = answer
            self._later(self._zdo_incoming(COORDINATOR_NWK, rsp_cluster, frame, broadcast=False))

    def _zdo_incoming(self, src: int, cluster: int, frame: bytes, broadcast: bool) -> t.CommandBase:
        return c.ZDO.MsgCbIncoming.Callback(
            Src=src,
            IsBroadcast=broadcast,
            ClusterId=cluster,
            SecurityUse=0,
            TSN=frame[0],
            MacDst=COORDINATOR_NWK,
            Data=t.Bytes(frame[1:]),
        )
