"""An emulated Z-Stack 3.30 coordinator (CC26x2), speaking MT to an unmodified zigpy-znp.

Only behaviour lives here: frames and command schemas are zigpy-znp's own. Each MT
request maps to one handler (the table at the bottom), which returns the synchronous
response and may queue asynchronous callbacks (AREQ). What the host sends on the air goes
to the simulated HAN (air.Air); what arrives from the air becomes AF.IncomingMsg or
ZDO callbacks, as a real stick reports it.
"""

from __future__ import annotations

import collections
import logging
import random
from collections.abc import Callable
from typing import Any

import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import GeneralFrame
from zigpy_znp.types.nvids import OsalNvIds

from harness.sim import zdo
from harness.sim.air import COORDINATOR_NWK, Air, AirFrame, ApsDuplicateFilter
from harness.sim.clock import VirtualClock
from harness.sim.nvram import Nvram

LOGGER = logging.getLogger(__name__)

# What the emulated stick reports about itself (a CC2652 on a 2023 Z-Stack build: the
# build date decides zigpy-znp's endpoint and permit-join behaviour).
FIRMWARE = {
    "TransportRev": 2,
    "ProductId": 1,
    "MajorRel": 2,
    "MinorRel": 7,
    "MaintRel": 1,
    "CodeRevision": 20230507,
    "BootloaderBuildType": c.sys.BootloaderBuildType.NON_BOOTLOADER_BUILD,
    "BootloaderRevision": 0xFFFFFFFF,
}
FIRMWARE_NAME = "Z-Stack 3.30+ (emulated CC2652, build 20230507)"
CAPABILITIES = (
    t.MTCapabilities.SYS
    | t.MTCapabilities.AF
    | t.MTCapabilities.ZDO
    | t.MTCapabilities.SAPI
    | t.MTCapabilities.UTIL
    | t.MTCapabilities.APP
    | t.MTCapabilities.APP_CNF
)
ASSOC_DEVICE_LEN_ALIGNED = 36  # tells zigpy-znp structs are aligned (CC26x2)

Send = Callable[[GeneralFrame], None]


class ZStackEmulator:
    """MT request handling and the coordinator's presence on the simulated air."""

    def __init__(self, ieee: t.EUI64, air: Air, clock: VirtualClock) -> None:
        self.ieee = ieee
        self.air = air
        self.clock = clock
        self.nvram = Nvram(ieee)
        self.nwk: int | None = COORDINATOR_NWK  # the Node protocol of air.Air
        self.endpoints: dict[int, zdo_t.SimpleDescriptor] = {}
        self.joined: dict[t.EUI64, int] = {}  # the trust centre's device table
        self.install_code_keys: dict[t.EUI64, bytes] = {}  # link keys derived from install codes
        self.joins_need_install_code = False
        self.running = False  # network started since the last reset
        self.permit_until = 0.0  # virtual time
        self.primary_channels = t.Channels.NO_CHANNELS
        self.served: collections.Counter[str] = collections.Counter()  # MT requests by name
        self.unknown: list[int] = []  # MT headers we had no handler for
        self.faults: list[str] = []  # requests whose handler raised (emulator bugs)
        self.callbacks_sent = 0
        self.data_to_host = 0  # AF.IncomingMsg and ZDO.MsgCbIncoming sent to the host
        self._send: Send | None = None
        self._pending: list[t.CommandBase] = []
        self._aps_counter = 0
        self._aps_duplicates = ApsDuplicateFilter()
        self._rng = random.Random(ieee.serialize())
        self._handlers = self._handler_table()

    # -- host side -------------------------------------------------------------------
    def connect_host(self, send: Send) -> None:
        self._send = send

    def disconnect_host(self) -> None:
        self._send = None

    def handle_frame(self, frame: GeneralFrame) -> None:
        """One MT frame from the host: answer it (SRSP) and emit any callbacks."""
        request_cls = c.COMMANDS_BY_ID.get(frame.header)
        handler = self._handlers.get(request_cls) if request_cls else None
        if request_cls is None or handler is None:
            self.unknown.append(int(frame.header))
            LOGGER.warning("emulated Z-Stack: no handler for MT header 0x%04X", frame.header)
            self._emit(
                c.RPCError.CommandNotRecognized.Rsp(
                    ErrorCode=c.rpc_error.ErrorCode.InvalidCommandId,
                    RequestHeader=frame.header,
                )
            )
            return
        request = request_cls.from_frame(frame, align=True)
        self.served[type(request).__qualname__] += 1
        try:
            response = handler(request)
        except Exception:
            # An emulator bug must show up as a bench error on the host (its request
            # times out), never take the port down silently.
            self.faults.append(type(request).__qualname__)
            self._pending.clear()
            LOGGER.exception("emulated Z-Stack: handler for %s failed", type(request).__qualname__)
            return
        if response is not None:
            self._emit(response, first=True)
        for callback in self._pending:
            self._emit(callback)
        self._pending.clear()

    def _later(self, *callbacks: t.CommandBase) -> None:
        """Queue callbacks to follow the synchronous response of this request."""
        self._pending.extend(callbacks)

    def _callback(self, command: t.CommandBase) -> None:
        """An unsolicited callback (from the air or a timer), outside any request."""
        self._emit(command)

    def _emit(self, command: t.CommandBase, first: bool = False) -> None:
        if self._send is None:
            return
        if not first:
            self.callbacks_sent += 1
        if isinstance(command, (c.AF.IncomingMsg.Callback, c.ZDO.MsgCbIncoming.Callback)):
            self.data_to_host += 1
        self._send(command.to_frame(align=True))

    # -- SYS -------------------------------------------------------------------------
    def _ping(self, req: Any) -> t.CommandBase:
        return c.SYS.Ping.Rsp(Capabilities=CAPABILITIES)

    def _version(self, req: Any) -> t.CommandBase:
        return c.SYS.Version.Rsp(**FIRMWARE)

    def _reset(self, req: Any) -> None:
        options = self.nvram.read_as(OsalNvIds.STARTUP_OPTION, t.StartupOptions)
        if options and options & (t.StartupOptions.ClearState | t.StartupOptions.ClearConfig):
            self.nvram.factory_reset()
            self.joined.clear()  # a new network: the trust centre forgets every device
        self.nvram.restore_missing()
        self.running = False
        self.endpoints.clear()
        self.permit_until = 0.0
        self.air.detach(self)
        self._later(
            c.SYS.ResetInd.Callback(
                Reason=t.ResetReason.PowerUp,
                **{k: FIRMWARE[k] for k in ("TransportRev", "ProductId", "MajorRel", "MinorRel", "MaintRel")},
            )
        )

    def _osal_length(self, req: Any) -> t.CommandBase:
        return c.SYS.OSALNVLength.Rsp(ItemLen=len(self.nvram.osal.get(req.Id, b"")))

    def _osal_read(self, req: Any) -> t.CommandBase:
        rsp = c.SYS.OSALNVRead.Rsp if isinstance(req, c.SYS.OSALNVRead.Req) else c.SYS.OSALNVReadExt.Rsp
        item = self.nvram.osal.get(req.Id)
        if item is None or req.Offset > len(item):
            return rsp(Status=t.Status.INVALID_PARAMETER, Value=t.ShortBytes(b""))
        return rsp(Status=t.Status.SUCCESS, Value=t.ShortBytes(bytes(item[req.Offset : req.Offset + 244])))

    def _osal_write(self, req: Any) -> t.CommandBase:
        rsp = c.SYS.OSALNVWrite.Rsp if isinstance(req, c.SYS.OSALNVWrite.Req) else c.SYS.OSALNVWriteExt.Rsp
        item = self.nvram.osal.get(req.Id)
        value = bytes(req.Value)
        if item is None or req.Offset + len(value) > len(item):
            return rsp(Status=t.Status.INVALID_PARAMETER)
        item[req.Offset : req.Offset + len(value)] = value
        return rsp(Status=t.Status.SUCCESS)

    def _osal_init(self, req: Any) -> t.CommandBase:
        if req.Id in self.nvram.osal:
            return c.SYS.OSALNVItemInit.Rsp(Status=t.Status.SUCCESS)
        self.nvram.osal[req.Id] = bytearray(bytes(req.Value).ljust(req.ItemLen, b"\x00"))
        # Z-Stack answers NV_ITEM_UNINIT when it had to create the item
        return c.SYS.OSALNVItemInit.Rsp(Status=t.Status.NV_ITEM_UNINIT)

    def _osal_delete(self, req: Any) -> t.CommandBase:
        existed = self.nvram.osal.pop(req.Id, None) is not None
        return c.SYS.OSALNVDelete.Rsp(Status=t.Status.SUCCESS if existed else t.Status.NV_ITEM_UNINIT)

    def _nv_key(self, req: Any) -> tuple[int, int, int]:
        return (int(req.SysId), int(req.ItemId), int(req.SubId))

    def _nv_length(self, req: Any) -> t.CommandBase:
        return c.SYS.NVLength.Rsp(Length=len(self.nvram.ex.get(self._nv_key(req), b"")))

    def _nv_read(self, req: Any) -> t.CommandBase:
        item = self.nvram.ex.get(self._nv_key(req))
        if item is None or req.Offset > len(item):
            return c.SYS.NVRead.Rsp(Status=t.Status.INVALID_PARAMETER, Value=t.ShortBytes(b""))
        chunk = bytes(item[req.Offset : req.Offset + min(req.Length, 244)])
        return c.SYS.NVRead.Rsp(Status=t.Status.SUCCESS, Value=t.ShortBytes(chunk))

    def _nv_write(self, req: Any) -> t.CommandBase:
        item = self.nvram.ex.get(self._nv_key(req))
        value = bytes(req.Value)
        if item is None or req.Offset + len(value) > len(item):
            return c.SYS.NVWrite.Rsp(Status=t.Status.INVALID_PARAMETER)
        item[req.Offset : req.Offset + len(value)] = value
        return c.SYS.NVWrite.Rsp(Status=t.Status.SUCCESS)

    def _nv_create(self, req: Any) -> t.CommandBase:
        key = self._nv_key(req)
        if key in self.nvram.ex:
            return c.SYS.NVCreate.Rsp(Status=t.Status.SUCCESS)
        self.nvram.ex[key] = bytearray(req.Length)
        return c.SYS.NVCreate.Rsp(Status=t.Status.NV_ITEM_UNINIT)

    def _nv_delete(self, req: Any) -> t.CommandBase:
        existed = self.nvram.ex.pop(self._nv_key(req), None) is not None
        return c.SYS.NVDelete.Rsp(Status=t.Status.SUCCESS if existed else t.Status.NV_ITEM_UNINIT)

    def _set_tx_power(self, req: Any) -> t.CommandBase:
        return c.SYS.SetTxPower.Rsp(StatusOrPower=t.Status.SUCCESS)

    # -- UTIL ------------------------------------------------------------------------
    def _assoc_find(self, req: Any) -> t.CommandBase:
        return c.UTIL.AssocFindDevice.Rsp(Device=t.Bytes(b"\xff" * ASSOC_DEVICE_LEN_ALIGNED))

    def _led(self, req: Any) -> t.CommandBase:
        return c.UTIL.LEDControl.Rsp(Status=t.Status.SUCCESS)

    def _device_info(self, req: Any) -> t.CommandBase:
        return c.UTIL.GetDeviceInfo.Rsp(
            Status=t.Status.SUCCESS,
            IEEE=self.ieee,
            NWK=COORDINATOR_NWK,
            DeviceType=t.DeviceTypeCapabilities.Coordinator,
            DeviceState=t.DeviceState.StartedAsCoordinator if self.running else t.DeviceState.InitializedNotStarted,
            AssociatedDevices=[],
        )

    # -- APP_CNF (BDB) ---------------------------------------------------------------
    def _bdb_set_channel(self, req: Any) -> t.CommandBase:
        if req.IsPrimary:
            self.primary_channels = req.Channel
        return c.AppConfig.BDBSetChannel.Rsp(Status=t.Status.SUCCESS)

    def _bdb_start(self, req: Any) -> t.CommandBase:
        Status = c.app_config.BDBCommissioningStatus
        Mode = c.app_config.BDBCommissioningMode
        formed_now = False
        if req.Mode & Mode.NwkFormation and not self.nvram.on_a_network:
            self._form()
            formed_now = True
        self.running = self.nvram.on_a_network
        if self.running:
            self.air.attach(self)
        self._later(
            c.ZDO.StateChangeInd.Callback(State=t.DeviceState.StartingAsCoordinator),
            c.AppConfig.BDBCommissioningNotification.Callback(
                Status=Status.InProgress, Mode=Mode.NwkFormation, RemainingModes=Mode.NwkFormation
            ),
            # Z-Stack reports Success only when it formed; a restart reports FormationFailure.
            c.AppConfig.BDBCommissioningNotification.Callback(
                Status=Status.Success if formed_now else Status.FormationFailure,
                Mode=Mode.NwkFormation,
                RemainingModes=Mode.NONE,
            ),
            c.ZDO.StateChangeInd.Callback(State=t.DeviceState.StartedAsCoordinator),
        )
        return c.AppConfig.BDBStartCommissioning.Rsp(Status=t.Status.SUCCESS)

    def _form(self) -> None:
        nv = self.nvram
        channels = list(self.primary_channels or t.Channels.from_channel_list([11]))
        channel = self._rng.choice(channels) if channels else 11
        pan_id = int.from_bytes(nv.osal[OsalNvIds.PANID], "little")
        if pan_id == 0xFFFF:
            pan_id = self._rng.randint(0x0001, 0xFFFE)
        ext_pan = t.EUI64.deserialize(bytes(nv.osal[OsalNvIds.APS_USE_EXT_PANID]))[0]
        if ext_pan == t.EUI64.convert("00:00:00:00:00:00:00:00"):
            ext_pan = self.ieee
        key = t.KeyData(bytes(nv.osal[OsalNvIds.PRECFGKEY]))
        nv.write_as(OsalNvIds.NIB, _formed_nib(channel, pan_id, ext_pan, self.ieee))
        nv.write_as(OsalNvIds.EXTENDED_PAN_ID, ext_pan)
        nv.write_as(OsalNvIds.NWK_ACTIVE_KEY_INFO, t.NwkKeyDesc(KeySeqNum=0, Key=key))
        nv.write_as(OsalNvIds.NWK_ALTERN_KEY_INFO, t.NwkKeyDesc(KeySeqNum=0, Key=key))
        nv.osal[OsalNvIds.BDBNODEISONANETWORK] = bytearray(b"\x01")

    def _add_install_code(self, req: Any) -> t.CommandBase:
        fmt = c.app_config.InstallCodeFormat
        if req.InstallCodeFormat != fmt.KeyDerivedFromInstallCode or len(req.InstallCode) != 16:
            return c.AppConfig.BDBAddInstallCode.Rsp(Status=t.Status.INVALID_PARAMETER)
        self.install_code_keys[req.IEEE] = bytes(req.InstallCode)
        return c.AppConfig.BDBAddInstallCode.Rsp(Status=t.Status.SUCCESS)

    def _joins_use_install_code(self, req: Any) -> t.CommandBase:
        self.joins_need_install_code = bool(req.BdbJoinUsesInstallCodeKey)
        return c.AppConfig.BDBSetJoinUsesInstallCodeKey.Rsp(Status=t.Status.SUCCESS)

    # -- ZDO -------------------------------------------------------------------------
    def _msg_cb_register(self, req: Any) -> t.CommandBase:
        return c.ZDO.MsgCallbackRegister.Rsp(Status=t.Status.SUCCESS)

    def _permit_join(self, req: Any) -> t.CommandBase:
        self.permit_until = self.clock.now() + int(req.Duration)
        self._later(
            c.ZDO.MgmtPermitJoinRsp.Callback(Src=COORDINATOR_NWK, Status=zdo_t.Status.SUCCESS),
            c.ZDO.PermitJoinInd.Callback(Duration=req.Duration),
        )
        if req.Duration:
            self.air.announce_permit_open()
        return c.ZDO.MgmtPermitJoinReq.Rsp(Status=t.Status.SUCCESS)

    def _route_disc(self, req: Any) -> t.CommandBase:
        return c.ZDO.ExtRouteDisc.Rsp(Status=t.Status.SUCCESS)

    def _route_chk(self, req: Any) -> t.CommandBase:
        ok = self.air.reachable(req.Dst)
        status = c.zdo.RoutingStatus.SUCCESS if ok else c.zdo.RoutingStatus.FAIL
        return c.ZDO.ExtRouteChk.Rsp(Status=status)

    # -- AF --------------------------------------------------------------------------
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
        if not self.running:
            return c.AF.DataRequestExt.Rsp(
                Status=t.Status.FAILURE  # not on a network yet
            )
        dst = req.DstAddrModeAddress
        if dst.mode == t.AddrMode.NWK:
            dst_nwk = int(dst.address)
        elif dst.mode == t.AddrMode.Broadcast:
            dst_nwk = int(dst.address)
        else:
            # IEEE or group addressing is not modelled: say so on the bench, not silently.
            LOGGER.warning("emulated Z-Stack: unsupported address mode %s", dst.mode)
            return c.AF.DataRequestExt.Rsp(Status=t.Status.INVALID_PARAMETER)
        data = bytes(req.Data)
        if req.DstEndpoint == 0:
            # ZDO: the stick itself answers requests addressed to it; no DataConfirm.
            if dst_nwk == COORDINATOR_NWK:
                self._answer_own_zdo(req.ClusterId, data)
            else:
                self._transmit(req.SrcEndpoint, dst_nwk, 0, 0x0000, req.ClusterId, data)
            return c.AF.DataRequestExt.Rsp(Status=t.Status.SUCCESS)
        src_desc = self.endpoints.get(req.SrcEndpoint)
        profile = src_desc.profile if src_desc else 0x0104
        delivered = self._transmit(req.SrcEndpoint, dst_nwk, req.DstEndpoint, profile, req.ClusterId, data)
        if dst.mode == t.AddrMode.NWK:
            status = t.Status.SUCCESS if delivered else t.Status.MAC_NO_ACK
            self._later(c.AF.DataConfirm.Callback(Status=status, Endpoint=req.SrcEndpoint, TSN=req.TSN))
        return c.AF.DataRequestExt.Rsp(Status=t.Status.SUCCESS)

    def _transmit(self, src_ep: int, dst_nwk: int, dst_ep: int, profile: int, cluster: int, data: bytes) -> bool:
        self._aps_counter = (self._aps_counter + 1) & 0xFF
        frame = AirFrame(
            src_nwk=COORDINATOR_NWK,
            src_ep=src_ep,
            dst_nwk=dst_nwk,
            dst_ep=dst_ep,
            profile_id=profile,
            cluster_id=cluster,
            payload=data,
            aps_counter=self._aps_counter,
        )
        return self.air.transmit(frame)

    def _own_descriptors(self) -> zdo.Descriptors:
        return zdo.Descriptors(
            ieee=self.ieee,
            logical_type=zdo_t.LogicalType.Coordinator,
            manufacturer_code=0x0000,
            endpoints=list(self.endpoints.values()),
        )

    def _answer_own_zdo(self, cluster: int, data: bytes) -> None:
        answer = self._own_descriptors().answer(COORDINATOR_NWK, cluster, data)
        if answer is not None:
            rsp_cluster, frame = answer
            self._later(self._zdo_incoming(COORDINATOR_NWK, rsp_cluster, frame, broadcast=False))

    # -- the air side ----------------------------------------------------------------
    def receive(self, frame: AirFrame) -> None:
        """A frame from a simulated node reached the coordinator's radio."""
        if not self.running or self._aps_duplicates.is_duplicate(frame):
            return
        if frame.dst_ep == 0 and frame.profile_id == 0x0000:
            if not frame.cluster_id & 0x8000:
                # Z-Stack answers ZDO requests for its registered endpoints itself.
                answer = self._own_descriptors().answer(COORDINATOR_NWK, frame.cluster_id, frame.payload)
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
        self._callback(
            c.AF.IncomingMsg.Callback(
                GroupId=0x0000,
                ClusterId=frame.cluster_id,
                SrcAddr=frame.src_nwk,
                SrcEndpoint=frame.src_ep,
                DstEndpoint=frame.dst_ep,
                WasBroadcast=frame.is_broadcast,
                LQI=255,
                SecurityUse=False,
                TimeStamp=int(self.clock.now() * 1000) & 0xFFFFFFFF,
                TSN=frame.aps_counter,
                Data=t.ShortBytes(frame.payload),
                MacSrcAddr=frame.src_nwk,
                MsgResultRadius=frame.radius,
            )
        )

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
        self._callback(c.ZDO.TCDevInd.Callback(SrcNwk=nwk, SrcIEEE=ieee, ParentNwk=COORDINATOR_NWK))
        return nwk

    def announce_leave(self, nwk: int, ieee: t.EUI64, rejoin: bool) -> None:
        self._callback(c.ZDO.LeaveInd.Callback(NWK=nwk, IEEE=ieee, Request=False, Remove=False, Rejoin=rejoin))

    # -- dispatch --------------------------------------------------------------------
    def _handler_table(self) -> dict[type, Callable[[Any], t.CommandBase | None]]:
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
            c.UTIL.AssocFindDevice.Req: self._assoc_find,
            c.UTIL.LEDControl.Req: self._led,
            c.UTIL.GetDeviceInfo.Req: self._device_info,
            c.AppConfig.BDBSetChannel.Req: self._bdb_set_channel,
            c.AppConfig.BDBStartCommissioning.Req: self._bdb_start,
            c.AppConfig.BDBAddInstallCode.Req: self._add_install_code,
            c.AppConfig.BDBSetJoinUsesInstallCodeKey.Req: self._joins_use_install_code,
            c.ZDO.MsgCallbackRegister.Req: self._msg_cb_register,
            c.ZDO.MgmtPermitJoinReq.Req: self._permit_join,
            c.ZDO.ExtRouteDisc.Req: self._route_disc,
            c.ZDO.ExtRouteChk.Req: self._route_chk,
            c.AF.Register.Req: self._af_register,
            c.AF.Delete.Req: self._af_delete,
            c.AF.DataRequestExt.Req: self._af_data_request,
        }


def _formed_nib(channel: int, pan_id: int, ext_pan: t.EUI64, ieee: t.EUI64) -> t.NIB:
    """The NIB of a coordinator that has just formed (values as Z-Stack 3.30 leaves them)."""
    blank_key = t.NwkKeyDesc(KeySeqNum=0, Key=t.KeyData(bytes(16)))
    return t.NIB(
        SequenceNum=0,
        PassiveAckTimeout=5,
        MaxBroadcastRetries=2,
        MaxChildren=0,
        MaxDepth=20,
        MaxRouters=0,
        dummyNeighborTable=0,
        BroadcastDeliveryTime=30,
        ReportConstantCost=0,
        RouteDiscRetries=0,
        dummyRoutingTable=0,
        SecureAllFrames=1,
        SecurityLevel=5,
        SymLink=1,
        CapabilityFlags=143,
        TransactionPersistenceTime=7,
        nwkProtocolVersion=2,
        RouteDiscoveryTime=5,
        RouteExpiryTime=30,
        nwkDevAddress=COORDINATOR_NWK,
        nwkLogicalChannel=channel,
        nwkCoordAddress=COORDINATOR_NWK,
        nwkCoordExtAddress=t.EUI64(bytes(8)),
        nwkPanId=pan_id,
        nwkState=t.NwkState.NWK_ROUTER,
        channelList=t.Channels.from_channel_list([channel]),
        beaconOrder=15,
        superFrameOrder=15,
        scanDuration=0,
        battLifeExt=0,
        allocatedRouterAddresses=1,
        allocatedEndDeviceAddresses=1,
        nodeDepth=0,
        extendedPANID=ext_pan,
        nwkKeyLoaded=True,
        spare1=blank_key,
        spare2=blank_key,
        spare3=0,
        spare4=0,
        nwkLinkStatusPeriod=15,
        nwkRouterAgeLimit=3,
        nwkUseMultiCast=False,
        nwkIsConcentrator=True,
        nwkConcentratorDiscoveryTime=120,
        nwkConcentratorRadius=10,
        nwkAllFresh=1,
        nwkManagerAddr=COORDINATOR_NWK,
        nwkTotalTransmissions=0,
        nwkUpdateId=0,
    )
