"""MT requests a Z-Stack host sends, answered as a CC2652 on Z-Stack 3.x.0 answers them.

zigpy-znp's ZNP client in-process over the stick's TCP port: what it reports about itself
(capabilities, node descriptor, device info), the requests another host stack sends on
start-up, install codes in both formats, AF group and IEEE addressing, and the
coordinator's own neighbour and routing tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import zigpy.types as zt
import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy.util import convert_install_code
from zigpy_znp.api import ZNP
from zigpy_znp.config import CONFIG_SCHEMA
from zigpy_znp.exceptions import CommandNotRecognized

from tests.stick.conftest import STICK_IEEE, EmulatedStick, join_one, start_host, until
from tests.stick.test_network_tools import UNIT_IEEE

# A 16-byte install code and its CRC (CRC-16/X.25, little-endian), as printed on a device.
INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
INSTALL_CODE_CRC = bytes.fromhex("C3B5")


def _with_znp(stick: EmulatedStick, body: Callable[[ZNP], Awaitable[None]]) -> None:
    async def run() -> None:
        znp = ZNP(CONFIG_SCHEMA({"device": {"path": stick.path}}))
        await znp.connect()
        try:
            await body(znp)
        finally:
            znp.close()

    stick.run(run())


def test_ping_reports_the_capabilities_of_a_real_stick(stick: EmulatedStick) -> None:
    async def body(znp: ZNP) -> None:
        rsp = await znp.request(c.SYS.Ping.Req())
        assert int(rsp.Capabilities) == 1625, rsp
        assert not rsp.Capabilities & t.MTCapabilities.SAPI  # not claimed: a real stick has none
        version = await znp.request(c.SYS.Version.Req())
        assert (version.ProductId, version.MajorRel, version.MinorRel, version.MaintRel) == (1, 2, 7, 1)

    _with_znp(stick, body)


@pytest.mark.parametrize(
    "request_",
    [
        c.SYS.GetExtAddr.Req(),
        c.ZDO.ExtNwkInfo.Req(),
        c.UTIL.AssocGetWithAddress.Req(IEEE=t.EUI64.convert(UNIT_IEEE), NWK=0x1234),
        c.AppConfig.BDBSetTcRequireKeyExchange.Req(BdbTrustCenterRequireKeyExchange=False),
        c.ZDO.StartupFromApp.Req(StartDelay=100),
    ],
    ids=lambda r: type(r).__qualname__,
)
def test_start_up_requests_of_other_host_stacks_are_answered(stick: EmulatedStick, request_: t.CommandBase) -> None:
    async def body(znp: ZNP) -> None:
        try:
            rsp = await znp.request(request_)
        except CommandNotRecognized:
            pytest.fail(f"{type(request_).__qualname__} answered CommandNotRecognized")
        assert rsp is not None

    _with_znp(stick, body)


def test_startup_from_app_forms_then_restores(stick: EmulatedStick) -> None:
    async def body(znp: ZNP) -> None:
        State = c.zdo.StartupState
        first = await znp.request(c.ZDO.StartupFromApp.Req(StartDelay=0))
        assert first.State == State.NewNetworkState
        info = await znp.request(c.ZDO.ExtNwkInfo.Req())
        assert info.Dst == 0x0000 and info.PanId != 0xFFFF, info
        ext = await znp.request(c.SYS.GetExtAddr.Req())
        assert ext.ExtAddr == t.EUI64.convert(STICK_IEEE)
        await znp.request_callback_rsp(
            request=c.SYS.ResetReq.Req(Type=t.ResetType.Soft), callback=c.SYS.ResetInd.Callback(partial=True)
        )
        again = await znp.request(c.ZDO.StartupFromApp.Req(StartDelay=0))
        assert again.State == State.RestoredNetworkState

    _with_znp(stick, body)


def test_install_codes_in_both_formats(stick: EmulatedStick) -> None:
    fmt = c.app_config.InstallCodeFormat
    ieee = t.EUI64.convert(UNIT_IEEE)

    async def body(znp: ZNP) -> None:
        add = c.AppConfig.BDBAddInstallCode.Req
        ok = await znp.request(
            add(
                InstallCodeFormat=fmt.InstallCodeAndCRC, IEEE=ieee, InstallCode=t.Bytes(INSTALL_CODE + INSTALL_CODE_CRC)
            )
        )
        assert ok.Status == t.Status.SUCCESS
        key = bytes(convert_install_code(INSTALL_CODE + INSTALL_CODE_CRC))
        assert stick.emulator.install_code_keys[ieee] == key
        bad_crc = INSTALL_CODE + bytes([INSTALL_CODE_CRC[0] ^ 1, INSTALL_CODE_CRC[1]])
        bad = await znp.request(add(InstallCodeFormat=fmt.InstallCodeAndCRC, IEEE=ieee, InstallCode=t.Bytes(bad_crc)))
        assert bad.Status == t.Status.INVALID_PARAMETER, "an install code with a wrong CRC was accepted"
        derived = await znp.request(
            add(InstallCodeFormat=fmt.KeyDerivedFromInstallCode, IEEE=ieee, InstallCode=t.Bytes(key))
        )
        assert derived.Status == t.Status.SUCCESS

    _with_znp(stick, body)


def _data_request(mode: t.AddrMode, address: object, dst_ep: int = 1) -> t.CommandBase:
    return c.AF.DataRequestExt.Req(
        DstAddrModeAddress=t.AddrModeAddress(mode=mode, address=address),
        DstEndpoint=dst_ep,
        DstPanId=0x0000,
        SrcEndpoint=1,
        ClusterId=0x0006,
        TSN=77,
        Options=c.af.TransmitOptions.NONE,
        Radius=30,
        Data=t.LongBytes(b"\x01\x4d\x02"),
    )


def test_group_and_ieee_addressed_frames_reach_the_air(stick: EmulatedStick) -> None:
    device = stick.device(UNIT_IEEE)

    async def body() -> None:
        app = await start_host(stick)
        try:
            await app.permit(60)
            await until(lambda: device.nwk is not None, "the unit joins")
            znp = app._znp
            assert znp is not None
            by_ieee = await znp.request_callback_rsp(
                request=_data_request(t.AddrMode.IEEE, t.EUI64.convert(UNIT_IEEE)),
                RspStatus=t.Status.SUCCESS,
                callback=c.AF.DataConfirm.Callback(partial=True, TSN=77),
            )
            assert by_ieee.Status == t.Status.SUCCESS
            await until(lambda: any(f.dst_nwk == device.nwk for f in device.received), "the IEEE-addressed frame")
            unknown = _data_request(t.AddrMode.IEEE, t.EUI64.convert("00:11:22:33:44:55:66:77"))
            unknown = unknown.replace(TSN=78)
            not_found = await znp.request_callback_rsp(
                request=unknown,
                RspStatus=t.Status.SUCCESS,
                callback=c.AF.DataConfirm.Callback(partial=True, TSN=78),
            )
            assert not_found.Status == t.Status.MAC_NO_ACK, "a frame to an unknown IEEE address was confirmed"
            await znp.request(_data_request(t.AddrMode.Group, 0x0010), RspStatus=t.Status.SUCCESS)
            await until(lambda: any(f.is_broadcast for f in device.received), "the group frame")
        finally:
            await app.shutdown()

    stick.run(body())


def test_the_coordinator_answers_node_descriptor_lqi_and_routing_requests(stick: EmulatedStick) -> None:
    nwk = join_one(stick, UNIT_IEEE)

    async def body() -> None:
        app = await start_host(stick)
        try:
            coordinator = app._device
            status, _addr, desc = await coordinator.zdo.Node_Desc_req(0x0000)
            assert status == zdo_t.Status.SUCCESS
            assert (desc.maximum_buffer_size, desc.maximum_incoming_transfer_size, desc.server_mask) == (80, 160, 11265)
            assert int(desc.mac_capability_flags) == 143
            status, neighbours = await coordinator.zdo.Mgmt_Lqi_req(0)
            assert status == zdo_t.Status.SUCCESS and neighbours.Entries == 1, neighbours
            child = neighbours.NeighborTableList[0]
            assert child.ieee == zt.EUI64.convert(UNIT_IEEE) and child.nwk == nwk
            assert child.relationship == zdo_t.Neighbor.Relationship.Child
            status, routes = await coordinator.zdo.Mgmt_Rtg_req(0)
            assert status == zdo_t.Status.SUCCESS and routes.Entries == 0
            mt_lqi = await app._znp.request_callback_rsp(
                request=c.ZDO.MgmtLqiReq.Req(Dst=0x0000, StartIndex=0),
                RspStatus=t.Status.SUCCESS,
                callback=c.ZDO.MsgCbIncoming.Callback(partial=True, ClusterId=zdo_t.ZDOCmd.Mgmt_Lqi_rsp),
            )
            by_mt, _rest = zdo_t.Neighbors.deserialize(bytes(mt_lqi.Data)[1:])  # after the status byte
            assert by_mt.Entries == 1 and by_mt.NeighborTableList[0].nwk == nwk, by_mt
            info = await app._znp.request(c.UTIL.GetDeviceInfo.Req())
            assert info.DeviceType == t.DeviceTypeCapabilities(7) and list(info.AssociatedDevices) == [nwk], info
        finally:
            await app.shutdown()

    stick.run(body())  # the unit stays on the air after join_one's host has gone: a neighbour


def test_mt_descriptor_requests_for_the_coordinator_answer_with_their_callbacks(stick: EmulatedStick) -> None:
    """What a host stack that interviews through MT ZDO (not AF) waits for."""

    async def body() -> None:
        app = await start_host(stick)
        try:
            znp = app._znp
            assert znp is not None
            node = await znp.request_callback_rsp(
                request=c.ZDO.NodeDescReq.Req(DstAddr=0x0000, NWKAddrOfInterest=0x0000),
                RspStatus=t.Status.SUCCESS,
                callback=c.ZDO.NodeDescRsp.Callback(partial=True, Src=0x0000),
            )
            assert node.NodeDescriptor.maximum_buffer_size == 80 and node.NodeDescriptor.server_mask == 11265
            active = await znp.request_callback_rsp(
                request=c.ZDO.ActiveEpReq.Req(DstAddr=0x0000, NWKAddrOfInterest=0x0000),
                RspStatus=t.Status.SUCCESS,
                callback=c.ZDO.ActiveEpRsp.Callback(partial=True, Src=0x0000),
            )
            assert 1 in active.ActiveEndpoints, active
            simple = await znp.request_callback_rsp(
                request=c.ZDO.SimpleDescReq.Req(DstAddr=0x0000, NWKAddrOfInterest=0x0000, Endpoint=1),
                RspStatus=t.Status.SUCCESS,
                callback=c.ZDO.SimpleDescRsp.Callback(partial=True, Src=0x0000),
            )
            assert simple.SimpleDescriptor.endpoint == 1 and simple.SimpleDescriptor.profile == 0x0104, simple
        finally:
            await app.shutdown()

    stick.run(body())
