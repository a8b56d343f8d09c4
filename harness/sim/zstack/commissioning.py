"""MT AppConfig (BDB) and ZDO handlers: forming the network, install codes, permit join, routes.

Separate from AF data because these are the commissioning side of the stick: they change
whether it is on a network and who may join it, which the trust-centre code in
``emulator.py`` then consults.
"""

from __future__ import annotations

from typing import Any

import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy.util import convert_install_code

from harness.sim.air import COORDINATOR_NWK
from harness.sim.zstack.core import EmulatorCore
from harness.sim.zstack.formation import form_network


class CommissioningHandlers(EmulatorCore):
    """AppConfig (BDB commissioning, install codes) and the ZDO requests the host makes."""

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
            form_network(self.nvram, self.primary_channels, self._rng, self.ieee)
            formed_now = True
        self.running = self.nvram.on_a_network
        if self.running:
            self.air.attach(self)
        if self.running and not formed_now and self.on_network_restart is not None:
            self.on_network_restart()
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

    def _add_install_code(self, req: Any) -> t.CommandBase:
        """Format 0x01: the install code with its CRC (checked, then hashed to the link key
        as Z-Stack does); format 0x02: the key already derived from it."""
        fmt = c.app_config.InstallCodeFormat
        code = bytes(req.InstallCode)
        if req.InstallCodeFormat == fmt.InstallCodeAndCRC:
            try:
                key = bytes(convert_install_code(code))  # CRC-16/X.25, then AES-MMO
            except ValueError:
                return c.AppConfig.BDBAddInstallCode.Rsp(Status=t.Status.INVALID_PARAMETER)
        elif req.InstallCodeFormat == fmt.KeyDerivedFromInstallCode and len(code) == 16:
            key = code
        else:
            return c.AppConfig.BDBAddInstallCode.Rsp(Status=t.Status.INVALID_PARAMETER)
        self.install_code_keys[req.IEEE] = key
        return c.AppConfig.BDBAddInstallCode.Rsp(Status=t.Status.SUCCESS)

    def _tc_requires_key_exchange(self, req: Any) -> t.CommandBase:
        self.tc_requires_key_exchange = bool(req.BdbTrustCenterRequireKeyExchange)
        return c.AppConfig.BDBSetTcRequireKeyExchange.Rsp(Status=t.Status.SUCCESS)

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
