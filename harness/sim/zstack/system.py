"""MT SYS and UTIL handlers: the stick's own housekeeping (ping, version, reset, device info).

Separate from NV access and from the network subsystems: these answer what zigpy-znp asks
while probing and resetting the stick, from its firmware identity and reset state.
"""

from __future__ import annotations

from typing import Any

import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.types.nvids import OsalNvIds

from harness.sim.air import COORDINATOR_NWK
from harness.sim.zstack.core import EmulatorCore
from harness.sim.zstack.firmware import (
    ASSOC_DEVICE_LEN_ALIGNED,
    CAPABILITIES,
    DEVICE_TYPE_CAPABILITIES,
    FIRMWARE,
)
from harness.sim.zstack.tables import known_devices


class SysHandlers(EmulatorCore):
    """SYS (without its NV commands) and UTIL."""

    # -- SYS -------------------------------------------------------------------------
    def _ping(self, req: Any) -> t.CommandBase:
        return c.SYS.Ping.Rsp(Capabilities=CAPABILITIES)

    def _version(self, req: Any) -> t.CommandBase:
        return c.SYS.Version.Rsp(**FIRMWARE)

    def _reset(self, req: Any) -> None:
        options = self.nvram.read_as(OsalNvIds.STARTUP_OPTION, t.StartupOptions)
        if options and options & (t.StartupOptions.ClearState | t.StartupOptions.ClearConfig):
            self.nvram.factory_reset()  # a new network: the trust centre forgets every device
        self.nvram.restore_missing()
        # The trust centre's device table lives in NV (the address manager): after a restart,
        # or a backup restored by the host, it knows exactly the devices NV lists.
        self.joined = known_devices(self.nvram)
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

    def _ext_addr(self) -> t.EUI64:
        """The address in NV (a host may have written one); the hardware address while the
        item is deleted (Z-Stack recreates it from there at the next boot)."""
        raw = self.nvram.osal.get(OsalNvIds.EXTADDR)
        return t.EUI64(bytes(raw)) if raw is not None and len(raw) == 8 else self.ieee

    def _get_ext_addr(self, req: Any) -> t.CommandBase:
        return c.SYS.GetExtAddr.Rsp(ExtAddr=self._ext_addr())

    def _set_tx_power(self, req: Any) -> t.CommandBase:
        return c.SYS.SetTxPower.Rsp(StatusOrPower=t.Status.SUCCESS)

    # -- UTIL ------------------------------------------------------------------------
    def _assoc_find(self, req: Any) -> t.CommandBase:
        return c.UTIL.AssocFindDevice.Rsp(Device=t.Bytes(b"\xff" * ASSOC_DEVICE_LEN_ALIGNED))

    def _led(self, req: Any) -> t.CommandBase:
        return c.UTIL.LEDControl.Rsp(Status=t.Status.SUCCESS)

    def _assoc_get_with_address(self, req: Any) -> t.CommandBase:
        """The associated-device record of a child (by IEEE, or by NWK when the IEEE is zero);
        an unused record for anyone else, as Z-Stack's AssocGetWithAddress() returns."""
        wanted_nwk = self.joined.get(req.IEEE) if req.IEEE != t.EUI64(bytes(8)) else int(req.NWK)
        index = next((i for i, nwk in enumerate(self.joined.values()) if nwk == wanted_nwk), None)
        relation = c.util.NodeRelation.CHILD_RFD_RX_IDLE if index is not None else c.util.NodeRelation.NOTUSED
        device = c.util.Device(
            shortAddr=wanted_nwk if index is not None else 0xFFFE,
            addrIdx=index if index is not None else 0xFFFF,
            nodeRelation=relation,
            devStatus=0,
            assocCnt=0,
            age=0,
            linkInfo=c.util.LinkInfo(txCounter=0, txCost=0, rxLqi=0, inKeySeqNum=0, inFrmCntr=0, txFailure=0),
            endDev=c.util.AgingEndDevice(endDevCfg=0, deviceTimeout=0),
            timeoutCounter=0,
            keepaliveRcv=0,
            ctrl=0,
        )
        return c.UTIL.AssocGetWithAddress.Rsp(Device=device)

    def _device_info(self, req: Any) -> t.CommandBase:
        # A real stick reports 0xFFFE until it runs as coordinator, every role its build
        # supports, and the NWK addresses of its children.
        return c.UTIL.GetDeviceInfo.Rsp(
            Status=t.Status.SUCCESS,
            IEEE=self._ext_addr(),
            NWK=COORDINATOR_NWK if self.running else 0xFFFE,
            DeviceType=t.DeviceTypeCapabilities(DEVICE_TYPE_CAPABILITIES),
            DeviceState=t.DeviceState.StartedAsCoordinator if self.running else t.DeviceState.InitializedNotStarted,
            AssociatedDevices=list(self.joined.values()) if self.running else [],
        )
