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
from harness.sim.zstack.firmware import ASSOC_DEVICE_LEN_ALIGNED, CAPABILITIES, FIRMWARE


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
