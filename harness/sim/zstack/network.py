"""Network management of the emulated stick: scans, channel change, neighbour and route tables.

Separate from commissioning (who may join) and from AF data (frames on the air): these are
the coordinator acting as its network's manager, reached two ways as on a real Z-Stack:
MT ZDO requests (ZDO.MgmtNWKUpdateReq, ZDO.NetworkDiscoveryReq, ZDO.MgmtLqiReq/RtgReq,
ZDO.ExtNwkInfo, ZDO.StartupFromApp) and ZDO frames the host addresses to the coordinator
itself over AF (Mgmt_NWK_Update_req: zigpy's energy scan; Mgmt_Lqi_req, Mgmt_Rtg_req:
a topology scan). What the scans find is what the simulated air holds
(``Air.channel_energy``, ``Air.foreign_networks``); channels not listed there are quiet.
"""

from __future__ import annotations

from typing import Any

import zigpy.types as zt
import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.types.nvids import OsalNvIds

from harness.sim import zdo
from harness.sim.air import BROADCAST_MIN, COORDINATOR_NWK
from harness.sim.zstack.af import AfHandlers
from harness.sim.zstack.firmware import COORDINATOR_NODE_DESCRIPTOR, coordinator_node_descriptor
from harness.sim.zstack.formation import form_network

Cmd = zdo_t.ZDOCmd
QUIET_CHANNEL_ENERGY = 10  # ED units (0..255) of a channel nobody else uses
LQI_ENTRIES_PER_FRAME = 3  # Z-Stack's ZDO_MAX_LQI_ITEMS
ENERGY_SCAN_MAX_DURATION = 5  # larger ScanDuration values are update commands


class NetworkHandlers(AfHandlers):
    """The network manager: energy and network scans, channel change, LQI and routes."""

    # -- ZDO frames addressed to the coordinator ---------------------------------------
    def _own_zdo_answer(self, cluster: int, data: bytes) -> tuple[int, bytes] | None:
        tsn, command, args = zdo.decode(cluster, data)
        ok = zdo_t.Status.SUCCESS
        if command is Cmd.Node_Desc_req:
            return Cmd.Node_Desc_rsp, zdo.encode(
                Cmd.Node_Desc_rsp, tsn, ok, COORDINATOR_NWK, coordinator_node_descriptor()
            )
        if command is Cmd.Mgmt_Lqi_req:
            return Cmd.Mgmt_Lqi_rsp, zdo.encode(Cmd.Mgmt_Lqi_rsp, tsn, ok, self._neighbours(int(args[0])))
        if command is Cmd.Mgmt_Rtg_req:
            # Children are reached directly: a coordinator with only children routes nothing.
            routes = zdo_t.Routes(Entries=0, StartIndex=int(args[0]), RoutingTableList=[])
            return Cmd.Mgmt_Rtg_rsp, zdo.encode(Cmd.Mgmt_Rtg_rsp, tsn, ok, routes)
        if command is Cmd.Mgmt_NWK_Update_req:
            update = args[0]
            if update.ScanDuration <= ENERGY_SCAN_MAX_DURATION:
                channels, energies = self._energy_scan(update.ScanChannels)
                return Cmd.Mgmt_NWK_Update_rsp, zdo.encode(
                    Cmd.Mgmt_NWK_Update_rsp, tsn, ok, channels, self._transmissions(), 0, energies
                )
            self._network_update(update.ScanDuration, update.ScanChannels, update.nwkManagerAddr)
            return None  # update commands have no response
        return super()._own_zdo_answer(cluster, data)

    def _neighbours(self, start: int) -> zdo_t.Neighbors:
        ext_pan = zt.ExtendedPanId(bytes(self.nvram.osal[OsalNvIds.EXTENDED_PAN_ID]))
        table = [
            zdo_t.Neighbor(
                extended_pan_id=ext_pan,
                ieee=ieee,
                nwk=nwk,
                device_type=zdo_t.Neighbor.DeviceType.EndDevice,
                rx_on_when_idle=zdo_t.Neighbor.RxOnWhenIdle.On,
                relationship=zdo_t.Neighbor.Relationship.Child,
                reserved1=0,
                permit_joining=zdo_t.Neighbor.PermitJoins.Unknown,
                reserved2=0,
                depth=1,
                lqi=255,
            )
            for ieee, nwk in self.joined.items()
            if self.air.reachable(nwk)
        ]
        page = table[start : start + LQI_ENTRIES_PER_FRAME]
        return zdo_t.Neighbors(Entries=len(table), StartIndex=start, NeighborTableList=page)

    def _energy_scan(self, channels: t.Channels) -> tuple[t.Channels, list[int]]:
        scanned = list(channels)
        energies = [self.air.channel_energy.get(ch, QUIET_CHANNEL_ENERGY) for ch in scanned]
        return t.Channels.from_channel_list(scanned), energies

    def _transmissions(self) -> int:
        return self.air.counters.frames & 0xFFFF

    def _network_update(self, command: int, channels: t.Channels, manager: int) -> None:
        """Channel change (0xFE) or new channel mask and manager address (0xFF), in the NIB."""
        nib = self.nvram.read_as(OsalNvIds.NIB, t.NIB)
        if not isinstance(nib, t.NIB):
            return
        if command == zdo_t.NwkUpdate.CHANNEL_CHANGE_REQ:
            wanted = list(channels)
            if len(wanted) != 1:
                return  # Z-Stack moves only to exactly one channel
            nib = nib.replace(nwkLogicalChannel=wanted[0], nwkUpdateId=(nib.nwkUpdateId + 1) & 0xFF)
        elif command == zdo_t.NwkUpdate.CHANNEL_MASK_MANAGER_ADDR_CHANGE_REQ:
            nib = nib.replace(channelList=channels, nwkManagerAddr=manager, nwkUpdateId=(nib.nwkUpdateId + 1) & 0xFF)
        else:
            return
        self.nvram.write_as(OsalNvIds.NIB, nib)

    # -- MT ZDO requests ------------------------------------------------------------------
    def _mt_nwk_update(self, req: Any) -> t.CommandBase:
        if not self.running:
            return c.ZDO.MgmtNWKUpdateReq.Rsp(Status=t.Status.FAILURE)
        local = req.Dst == COORDINATOR_NWK or req.Dst >= BROADCAST_MIN
        if req.Dst != COORDINATOR_NWK:
            # Out on the air to the addressed device(s), as a ZDO Mgmt_NWK_Update_req.
            update = zdo_t.NwkUpdate(
                ScanChannels=req.Channels,
                ScanDuration=req.ScanDuration,
                ScanCount=req.ScanCount,
                nwkUpdateId=self._nib_update_id(),
                nwkManagerAddr=req.NwkManagerAddr,
            )
            frame = zdo.encode(Cmd.Mgmt_NWK_Update_req, self._next_zdo_tsn(), update)
            self._transmit(0, int(req.Dst), 0, 0x0000, Cmd.Mgmt_NWK_Update_req, frame)
        if local and req.ScanDuration <= ENERGY_SCAN_MAX_DURATION:
            channels, energies = self._energy_scan(req.Channels)
            self._later(
                c.ZDO.MgmtNWKUpdateNotify.Callback(
                    Src=COORDINATOR_NWK,
                    Status=t.ZDOStatus.SUCCESS,
                    ScannedChannels=channels,
                    TotalTransmissions=self._transmissions(),
                    TransmissionFailures=0,
                    EnergyValues=energies,
                )
            )
        elif local:
            self._network_update(req.ScanDuration, req.Channels, req.NwkManagerAddr)
        return c.ZDO.MgmtNWKUpdateReq.Rsp(Status=t.Status.SUCCESS)

    def _nib_update_id(self) -> int:
        nib = self.nvram.read_as(OsalNvIds.NIB, t.NIB)
        return (nib.nwkUpdateId + 1) & 0xFF if isinstance(nib, t.NIB) else 0

    def _next_zdo_tsn(self) -> int:
        self._zdo_tsn = (self._zdo_tsn + 1) & 0xFF
        return self._zdo_tsn

    def _network_discovery(self, req: Any) -> t.CommandBase:
        """An active scan: one beacon notification with every other PAN heard on the scanned
        channels, then the discovery confirmation."""
        scanned = set(req.Channels)
        beacons = [
            t.Beacon(
                Src=net.src_nwk,
                PanId=net.pan_id,
                Channel=net.channel,
                PermitJoining=int(net.permit_joining),
                RouterCapacity=1,
                DeviceCapacity=1,
                ProtocolVersion=2,
                StackProfile=2,
                LQI=net.lqi,
                Depth=0,
                UpdateId=0,
                ExtendedPanId=zt.ExtendedPanId(net.extended_pan_id),
            )
            for net in self.air.foreign_networks
            if net.channel in scanned
        ]
        if beacons:
            self._later(c.ZDO.BeaconNotifyInd.Callback(Beacons=beacons))
        self._later(c.ZDO.NwkDiscoveryCnf.Callback(Status=t.ZDOStatus.SUCCESS))
        return c.ZDO.NetworkDiscoveryReq.Rsp(Status=t.Status.SUCCESS)

    def _mt_mgmt_lqi(self, req: Any) -> t.CommandBase:
        return self._mt_own_mgmt(req, c.ZDO.MgmtLqiReq.Rsp, Cmd.Mgmt_Lqi_req)

    def _mt_mgmt_rtg(self, req: Any) -> t.CommandBase:
        return self._mt_own_mgmt(req, c.ZDO.MgmtRtgReq.Rsp, Cmd.Mgmt_Rtg_req)

    def _mt_own_mgmt(self, req: Any, rsp: Any, command: Cmd) -> t.CommandBase:
        """MT Mgmt_Lqi/Mgmt_Rtg: to the coordinator itself answered here, else sent on the air."""
        frame = zdo.encode(command, self._next_zdo_tsn(), t.uint8_t(req.StartIndex))
        if req.Dst == COORDINATOR_NWK:
            answer = self._own_zdo_answer(command, frame)
            if answer is not None:
                self._later(self._zdo_incoming(COORDINATOR_NWK, answer[0], answer[1], broadcast=False))
        else:
            self._transmit(0, int(req.Dst), 0, 0x0000, command, frame)
        return rsp(Status=t.Status.SUCCESS)

    # MT ZDO descriptor requests (what host stacks other than zigpy-znp send to interview):
    # for the coordinator itself Z-Stack answers with the MT callback and, for registered
    # ZDO callbacks, the ZDO frame; to another device the request goes out on the air.
    def _mt_node_desc(self, req: Any) -> t.CommandBase:
        if req.DstAddr == COORDINATOR_NWK:
            self._later(
                c.ZDO.NodeDescRsp.Callback(
                    Src=COORDINATOR_NWK,
                    Status=t.ZDOStatus.SUCCESS,
                    NWK=COORDINATOR_NWK,
                    NodeDescriptor=c.zdo.NullableNodeDescriptor(**COORDINATOR_NODE_DESCRIPTOR),
                )
            )
        return self._mt_zdo_request(req, c.ZDO.NodeDescReq.Rsp, Cmd.Node_Desc_req, t.NWK(req.NWKAddrOfInterest))

    def _mt_active_ep(self, req: Any) -> t.CommandBase:
        if req.DstAddr == COORDINATOR_NWK:
            self._later(
                c.ZDO.ActiveEpRsp.Callback(
                    Src=COORDINATOR_NWK,
                    Status=t.ZDOStatus.SUCCESS,
                    NWK=COORDINATOR_NWK,
                    ActiveEndpoints=sorted(self.endpoints),
                )
            )
        return self._mt_zdo_request(req, c.ZDO.ActiveEpReq.Rsp, Cmd.Active_EP_req, t.NWK(req.NWKAddrOfInterest))

    def _mt_simple_desc(self, req: Any) -> t.CommandBase:
        desc = self.endpoints.get(req.Endpoint)
        if req.DstAddr == COORDINATOR_NWK and desc is not None:
            self._later(
                c.ZDO.SimpleDescRsp.Callback(
                    Src=COORDINATOR_NWK,
                    Status=t.ZDOStatus.SUCCESS,
                    NWK=COORDINATOR_NWK,
                    SimpleDescriptor=zdo_t.SizePrefixedSimpleDescriptor(**desc.as_dict()),
                )
            )
        return self._mt_zdo_request(
            req, c.ZDO.SimpleDescReq.Rsp, Cmd.Simple_Desc_req, t.NWK(req.NWKAddrOfInterest), t.uint8_t(req.Endpoint)
        )

    def _mt_zdo_request(self, req: Any, rsp: Any, command: Cmd, *args: Any) -> t.CommandBase:
        frame = zdo.encode(command, self._next_zdo_tsn(), *args)
        if req.DstAddr == COORDINATOR_NWK:
            answer = self._own_zdo_answer(command, frame)
            if answer is not None:
                self._later(self._zdo_incoming(COORDINATOR_NWK, answer[0], answer[1], broadcast=False))
        else:
            self._transmit(0, int(req.DstAddr), 0, 0x0000, command, frame)
        return rsp(Status=t.Status.SUCCESS)

    def _ext_nwk_info(self, req: Any) -> t.CommandBase:
        nib = self.nvram.read_as(OsalNvIds.NIB, t.NIB) if self.running else None
        if not isinstance(nib, t.NIB):
            return c.ZDO.ExtNwkInfo.Rsp(
                Dst=0xFFFE,
                PanId=0xFFFF,
                ParentNWK=0xFFFE,
                ExtendedPanId=zt.ExtendedPanId(bytes(8)),
                ParentIEEE=t.EUI64(bytes(8)),
                Channel=t.Channels.NO_CHANNELS,
            )
        return c.ZDO.ExtNwkInfo.Rsp(
            Dst=nib.nwkDevAddress,
            PanId=nib.nwkPanId,
            ParentNWK=nib.nwkCoordAddress,
            ExtendedPanId=nib.extendedPANID,
            ParentIEEE=nib.nwkCoordExtAddress,
            Channel=t.Channels.from_channel_list([nib.nwkLogicalChannel]),
        )

    def _startup_from_app(self, req: Any) -> t.CommandBase:
        """The pre-BDB way to start: restore the network in NV, else form one on CHANLIST."""
        State = c.zdo.StartupState
        if self.nvram.on_a_network:
            state = State.RestoredNetworkState
        else:
            channels = t.Channels.deserialize(bytes(self.nvram.osal[OsalNvIds.CHANLIST]))[0]
            form_network(self.nvram, channels or self.primary_channels, self._rng, self.ieee)
            state = State.NewNetworkState
        self.running = True
        self.air.attach(self)
        self._later(c.ZDO.StateChangeInd.Callback(State=t.DeviceState.StartedAsCoordinator))
        return c.ZDO.StartupFromApp.Rsp(State=state)
