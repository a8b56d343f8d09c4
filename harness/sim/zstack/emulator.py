"""``ZStackEmulator``: the MT subsystems put together, and the coordinator's side of the air.

What is left once the handlers live in their subsystem modules: the coordinator as a node
of the simulated air (frames in become AF.IncomingMsg or ZDO callbacks), the trust centre
admitting joins, and the one table mapping each MT request to its handler.
"""

from __future__ import annotations

import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t

from harness.sim import zdo
from harness.sim.air import COORDINATOR_NWK, AirFrame
from harness.sim.aps_link import unseal
from harness.sim.zstack import af_frames
from harness.sim.zstack.commissioning import CommissioningHandlers
from harness.sim.zstack.core import LOGGER, Handler, RawHandler
from harness.sim.zstack.network import NetworkHandlers
from harness.sim.zstack.nv import NvHandlers
from harness.sim.zstack.system import SysHandlers
from harness.sim.zstack.tables import record_join, record_leave

WILDCARD_PROFILE = 0xFFFF


class ZStackEmulator(SysHandlers, NvHandlers, CommissioningHandlers, NetworkHandlers):
    """MT request handling and the coordinator's presence on the simulated air."""

    # -- the air side ----------------------------------------------------------------
    def _profile_accepted(self, frame: AirFrame) -> bool:
        """Z-Stack's AF hands a frame to an endpoint only under that endpoint's application
        profile (afIncomingData compares the APS profile ID with the simple descriptor's;
        the wildcard 0xFFFF matches any): a unit answering a Smart Energy endpoint on another
        profile is never heard by the host, on a real stick as here."""
        desc = self.endpoints.get(frame.dst_ep)
        return desc is None or WILDCARD_PROFILE in (desc.profile, frame.profile_id) or desc.profile == frame.profile_id

    def receive(self, frame: AirFrame) -> None:
        """A frame from a simulated node reached the coordinator's radio."""
        if not self.running or self._aps_duplicates.is_duplicate(frame):
            return
        if frame.dst_ep == 0 and frame.profile_id == 0x0000:
            if not frame.cluster_id & 0x8000:
                # Z-Stack answers ZDO requests for its registered endpoints itself.
                answer = self._own_zdo_answer(frame.cluster_id, frame.payload)
                if answer is not None:
                    self._transmit(0, frame.src_nwk, 0, 0x0000, answer[0], answer[1])
            self._callback(
                self._zdo_incoming(frame.src_nwk, frame.cluster_id, frame.payload, broadcast=frame.is_broadcast)
            )
            if frame.cluster_id == zdo_t.ZDOCmd.Device_annce:
                _tsn, _cmd, (nwk, ieee, capability) = zdo.decode(frame.cluster_id, frame.payload)
                self._callback(
                    c.ZDO.EndDeviceAnnceInd.Callback(
                        Src=frame.src_nwk,
                        NWK=nwk,
                        IEEE=ieee,
                        Capabilities=c.zdo.MACCapabilities(int(capability)),
                    )
                )
            return
        # Z-Stack delivers only to registered endpoints (or broadcast endpoint 0xFF).
        if frame.dst_ep not in self.endpoints and frame.dst_ep != 0xFF:
            return
        if not self._profile_accepted(frame):
            return
        secured = frame.secured
        if secured:
            # Checked and decrypted with the sender's link key; one that fails is dropped
            # unreported, as Z-Stack's APS layer drops it.
            opened = unseal(frame, link_key=self.link_key_for(self.ieee_of(frame.src_nwk)))
            if opened is None:
                self.aps_dropped += 1
                return
            frame = opened
        fields = af_frames.IncomingFields(
            cluster=frame.cluster_id,
            src_nwk=frame.src_nwk,
            src_ep=frame.src_ep,
            dst_ep=frame.dst_ep,
            broadcast=frame.is_broadcast,
            lqi=255,
            secured=secured,
            timestamp=int(self.clock.now() * 1000) & 0xFFFFFFFF,
            tsn=frame.aps_counter,
            data=frame.payload,
            radius=frame.radius,
        )
        self._callback(af_frames.incoming_msg(fields) or af_frames.incoming_msg_command(fields))

    def permits_join(self) -> bool:
        return self.running and self.clock.now() < self.permit_until

    def admit(self, ieee: t.EUI64, requested_nwk: int | None = None, link_key: bytes | None = None) -> int | None:
        """Trust-centre side of a join: an address, or None when joining is closed.

        A device the trust centre already knows rejoins without permit-join (a trust
        centre rejoin), keeping its address."""
        known = self.joined.get(ieee)
        if known is not None:
            self._callback(c.ZDO.TCDevInd.Callback(SrcNwk=known, SrcIEEE=ieee, ParentNwk=COORDINATOR_NWK))
            return known
        if not self.permits_join():
            return None
        if self.joins_need_install_code and (link_key is None or self.install_code_keys.get(ieee) != link_key):
            # The device's key (from its install code) does not match what the trust
            # centre was given: the transport key cannot be decrypted, the join fails.
            return None
        nwk = requested_nwk
        while nwk is None or nwk == COORDINATOR_NWK or self.air.reachable(nwk) or nwk >= 0xFFF8:
            nwk = self._rng.randint(0x0001, 0xFFF7)
        self.joined[ieee] = nwk
        # Z-Stack writes the new device to NV at once: address manager and its TC link key.
        if not record_join(self.nvram, ieee, nwk):
            LOGGER.warning("emulated Z-Stack: NV tables full, %s is not persisted", ieee)
        self._callback(c.ZDO.TCDevInd.Callback(SrcNwk=nwk, SrcIEEE=ieee, ParentNwk=COORDINATOR_NWK))
        return nwk

    def announce_leave(self, nwk: int, ieee: t.EUI64, rejoin: bool) -> None:
        if not rejoin:
            # Gone for good: Z-Stack's trust centre drops it from its device table and its TCLK
            # entry; joining again is a new join, with permit-join and (if asked) its install code.
            self.joined.pop(ieee, None)
            self.install_code_keys.pop(ieee, None)
            record_leave(self.nvram, ieee)  # and from NV: a stick reset must not bring it back
        self._callback(c.ZDO.LeaveInd.Callback(NWK=nwk, IEEE=ieee, Request=False, Remove=False, Rejoin=rejoin))

    # -- dispatch --------------------------------------------------------------------
    def _raw_handler_table(self) -> list[tuple[type, type, RawHandler]]:
        return [
            (c.SYS.NVLength.Req, c.SYS.NVLength.Rsp, self._fast_nv_length),
            (c.SYS.NVRead.Req, c.SYS.NVRead.Rsp, self._fast_nv_read),
            (c.SYS.NVWrite.Req, c.SYS.NVWrite.Rsp, self._fast_nv_write),
            (c.AF.DataRequestExt.Req, c.AF.DataRequestExt.Rsp, self._fast_af_data_request),
        ]

    def _handler_table(self) -> dict[type, Handler]:
        return {
            c.SYS.Ping.Req: self._ping,
            c.SYS.Version.Req: self._version,
            c.SYS.ResetReq.Req: self._reset,
            c.SYS.OSALNVLength.Req: self._osal_length,
            c.SYS.OSALNVRead.Req: self._osal_read,
            c.SYS.OSALNVReadExt.Req: self._osal_read,
            c.SYS.OSALNVWrite.Req: self._osal_write,
            c.SYS.OSALNVWriteExt.Req: self._osal_write,
            c.SYS.OSALNVItemInit.Req: self._osal_init,
            c.SYS.OSALNVDelete.Req: self._osal_delete,
            c.SYS.NVLength.Req: self._nv_length,
            c.SYS.NVRead.Req: self._nv_read,
            c.SYS.NVWrite.Req: self._nv_write,
            c.SYS.NVCreate.Req: self._nv_create,
            c.SYS.NVDelete.Req: self._nv_delete,
            c.SYS.SetTxPower.Req: self._set_tx_power,
            c.SYS.GetExtAddr.Req: self._get_ext_addr,
            c.UTIL.AssocGetWithAddress.Req: self._assoc_get_with_address,
            c.UTIL.AssocFindDevice.Req: self._assoc_find,
            c.UTIL.LEDControl.Req: self._led,
            c.UTIL.GetDeviceInfo.Req: self._device_info,
            c.AppConfig.BDBSetChannel.Req: self._bdb_set_channel,
            c.AppConfig.BDBStartCommissioning.Req: self._bdb_start,
            c.AppConfig.BDBAddInstallCode.Req: self._add_install_code,
            c.AppConfig.BDBSetJoinUsesInstallCodeKey.Req: self._joins_use_install_code,
            c.AppConfig.BDBSetTcRequireKeyExchange.Req: self._tc_requires_key_exchange,
            c.ZDO.MsgCallbackRegister.Req: self._msg_cb_register,
            c.ZDO.MgmtPermitJoinReq.Req: self._permit_join,
            c.ZDO.ExtRouteDisc.Req: self._route_disc,
            c.ZDO.ExtRouteChk.Req: self._route_chk,
            c.ZDO.ExtNwkInfo.Req: self._ext_nwk_info,
            c.ZDO.StartupFromApp.Req: self._startup_from_app,
            c.ZDO.MgmtNWKUpdateReq.Req: self._mt_nwk_update,
            c.ZDO.NetworkDiscoveryReq.Req: self._network_discovery,
            c.ZDO.MgmtLqiReq.Req: self._mt_mgmt_lqi,
            c.ZDO.MgmtRtgReq.Req: self._mt_mgmt_rtg,
            c.ZDO.NodeDescReq.Req: self._mt_node_desc,
            c.ZDO.ActiveEpReq.Req: self._mt_active_ep,
            c.ZDO.SimpleDescReq.Req: self._mt_simple_desc,
            c.AF.Register.Req: self._af_register,
            c.AF.Delete.Req: self._af_delete,
            c.AF.DataRequestExt.Req: self._af_data_request,
        }
