"""A simulated Zigbee node on the simulated HAN: joining, ZDO, ZCL dispatch and sending.

Device models (the reference IHD, its fault variants, a user's own firmware model)
subclass SimNode and implement only their application behaviour in on_joined() and
on_zcl(). Everything a node does is driven by frames and by the world's virtual clock:
nothing waits in real time.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import zigpy.types as zt
import zigpy.zdo.types as zdo_t
from zigpy.util import convert_install_code
from zigpy.zcl import foundation

from harness.profile import SecurityMode
from harness.security.test_ca import harness_test_ca
from harness.sim import zdo
from harness.sim.air import COORDINATOR_NWK, AirFrame, ApsDuplicateFilter
from harness.sim.device_security import DeviceSecurity
from harness.zcl import codec, ids
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import ZclDecodeError, ZclFrame
from harness.zcl.ids import SE_PROFILE

if TYPE_CHECKING:
    from harness.sim.world import SimWorld

LOGGER = logging.getLogger(__name__)
BROADCAST_RX_ON = 0xFFFD
LEAVE_REJOIN = 0x80  # Mgmt_Leave_req options bit 7 (zigpy's ZDO.LeaveOptions.Rejoin)


class SimNode:
    """Power, join and frame plumbing shared by every simulated device."""

    device_type = 0x0507  # SE In-Home Display
    logical_type = zdo_t.LogicalType.EndDevice
    manufacturer_code = 0x1234

    def __init__(self, world: SimWorld) -> None:
        self.world = world
        identity = world.profile.identity
        self.ieee = zt.EUI64.convert(identity.ieee)
        self.endpoint = identity.endpoint
        self.manufacturer = identity.manufacturer
        self.model = identity.model
        self.firmware = identity.firmware_version
        self.nwk: int | None = None
        self.powered = False
        self.frames_received: list[AirFrame] = []
        self._tsn = itertools.count(1)
        self._waiting_for_permit = False
        self._join_reason = "join"
        self._zdo_waiters: dict[int, Callable[[list[object]], None]] = {}
        self._aps_duplicates = ApsDuplicateFilter()
        self.security: DeviceSecurity | None = None  # radio.security cbke: made at the first join
        self.left_network = False  # it left (CBKE kept failing, or the trust centre told it to)
        self._last_nwk: int | None = None  # the address it asks for when it joins again

    # -- what a model declares ---------------------------------------------------------
    def input_clusters(self) -> list[int]:
        return [ids.BASIC]

    def output_clusters(self) -> list[int]:
        return []

    def descriptors(self) -> zdo.Descriptors:
        return zdo.Descriptors(
            ieee=self.ieee,
            logical_type=self.logical_type,
            manufacturer_code=self.manufacturer_code,
            endpoints=[
                zdo_t.SimpleDescriptor(
                    endpoint=self.endpoint,
                    profile=SE_PROFILE,
                    device_type=self.device_type,
                    device_version=0,
                    input_clusters=self.input_clusters(),
                    output_clusters=self.output_clusters(),
                )
            ],
        )

    # -- hooks for models -------------------------------------------------------------
    def on_joined(self, reason: str) -> None:
        """Called once the node is on the network and has announced itself.

        reason: "join" (first join), "power_on" (back after a power cycle) or "rejoin"."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        """A decoded ZCL frame for this node's endpoint."""

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        """A ZCL frame that did not decode."""

    def on_power_off(self) -> None:
        """Volatile state is lost here; models keep what their firmware persists."""

    def link_key(self) -> bytes | None:
        """The key this device derives from its install code (None: it joins with the
        well-known link key)."""
        code = self.world.profile.identity.install_code
        if code is None:
            return None
        return bytes(convert_install_code(bytes.fromhex(code.get_secret_value())))

    security_class: type[DeviceSecurity] = DeviceSecurity

    def make_security(self) -> DeviceSecurity | None:
        """With radio.security cbke, its CBKE and APS security: a certificate from the
        harness's test CA for its own IEEE address (docs/security.md)."""
        radio = self.world.profile.radio
        if radio.security is not SecurityMode.CBKE or radio.cbke is None:
            return None
        identity = harness_test_ca(radio.cbke.suite).identity(self.ieee.serialize()[::-1])
        trust_centre = self.world.coordinator.ieee.serialize()[::-1]
        return self.security_class(self, identity, trust_centre, radio.cbke.attempts)

    def leave_network(self) -> None:
        """Leave (a GB device whose CBKE keeps failing, or told to by the trust centre), then
        look for a network to join again, with its install code, as a factory-new device does."""
        if self.nwk is None:
            return
        self.world.air.detach(self)
        self.world.coordinator.announce_leave(self.nwk, self.ieee, rejoin=False)
        self._last_nwk, self.nwk = self.nwk, None
        self.left_network = True
        self._join_reason = "join"
        if self.powered and not self._waiting_for_permit:
            self._waiting_for_permit = True
            self.world.air.on_permit_open(self._try_join)

    def told_to_leave(self) -> None:
        """Mgmt_Leave_req without rejoin: the network, its keys and what RAM held are gone."""
        if self.security is not None:
            self.security.forget()
        self._zdo_waiters.clear()
        self.on_power_off()  # the application's volatile state, as when its network ends
        self.leave_network()

    # -- power and network --------------------------------------------------------------
    def power_on(self) -> None:
        self.powered = True
        self._join_reason = "power_on" if self.nwk is not None else "join"
        self._try_join()

    def power_off(self) -> None:
        if not self.powered:
            return
        self.powered = False
        self.world.air.detach(self)
        self.world.air.remove_permit_listener(self._try_join)
        self._waiting_for_permit = False
        self._zdo_waiters.clear()  # RAM: requests in flight are forgotten
        if self.security is not None:
            self.security.on_power_off()
        self.on_power_off()

    def rejoin(self) -> None:
        """Leave and join again with the same address (a trust-centre rejoin)."""
        if self.nwk is None:
            self._try_join()
            return
        self.world.air.detach(self)
        self.world.coordinator.announce_leave(self.nwk, self.ieee, rejoin=True)
        self._join_as(self.nwk, reason="rejoin")

    def _try_join(self) -> None:
        if not self.powered or self.world.air.reachable(self.nwk or -1):
            return
        requested = self.nwk if self.nwk is not None else self._last_nwk
        nwk = self.world.coordinator.admit(self.ieee, requested_nwk=requested, link_key=self.link_key())
        if nwk is None:
            if not self._waiting_for_permit:
                self._waiting_for_permit = True
                self.world.air.on_permit_open(self._try_join)
            return
        if self._waiting_for_permit:
            self._waiting_for_permit = False
            self.world.air.remove_permit_listener(self._try_join)
        self._join_as(nwk, reason=self._join_reason)

    def _join_as(self, nwk: int, reason: str) -> None:
        self.nwk = nwk
        self.world.air.attach(self)
        self.send_zdo(
            BROADCAST_RX_ON,
            zdo_t.ZDOCmd.Device_annce,
            nwk,
            self.ieee,
            self.descriptors().mac_capabilities,
        )
        if self.security is None:
            self.security = self.make_security()
        if self.security is not None and not self.security.ready:
            self.security.establish(lambda: self.on_joined(reason))  # no Smart Energy before the key
            return
        self.on_joined(reason)

    # -- receive ------------------------------------------------------------------------
    def receive(self, frame: AirFrame) -> None:
        if not self.powered or self._aps_duplicates.is_duplicate(frame):
            return
        self.frames_received.append(frame)
        if frame.dst_ep == 0:
            self._receive_zdo(frame)
            return
        if frame.dst_ep not in (self.endpoint, 0xFF):
            return
        if self.security is not None:
            opened = self.security.incoming(frame)
            if opened is None:
                return  # unsecured, or under a key it does not hold: ignored
            frame = opened
        try:
            zcl = codec.decode(frame.cluster_id, frame.payload)
        except ZclDecodeError as error:
            self.on_malformed(frame, error)
            return
        if self.security is not None and frame.cluster_id == ids.KEY_ESTABLISHMENT:
            self.security.on_key_establishment(zcl)
            return
        self.on_zcl(frame, zcl)

    def _receive_zdo(self, frame: AirFrame) -> None:
        if frame.cluster_id & 0x8000:
            tsn, _cmd, args = zdo.decode(frame.cluster_id, frame.payload)
            waiter = self._zdo_waiters.pop(tsn, None)
            if waiter is not None:
                waiter(args)
            return
        if frame.is_broadcast:
            return  # permit-join and other broadcasts need no answer from an end device
        if frame.cluster_id == zdo_t.ZDOCmd.Mgmt_Leave_req:
            tsn, _cmd, (_ieee, options) = zdo.decode(frame.cluster_id, frame.payload)
            answer = zdo.encode(zdo_t.ZDOCmd.Mgmt_Leave_rsp, tsn, zdo_t.Status.SUCCESS)
            self._transmit(frame.src_nwk, 0, 0, 0x0000, zdo_t.ZDOCmd.Mgmt_Leave_rsp, answer)
            if int(options) & LEAVE_REJOIN:
                self.rejoin()
            else:
                self.told_to_leave()
            return
        answer = self.descriptors().answer(self.nwk or 0, frame.cluster_id, frame.payload)
        if answer is not None:
            cluster, payload = answer
            self._transmit(frame.src_nwk, 0, 0, 0x0000, cluster, payload)

    # -- send ---------------------------------------------------------------------------
    def next_tsn(self) -> int:
        return next(self._tsn) & 0xFF

    def send_zdo(
        self,
        dst_nwk: int,
        command: zdo_t.ZDOCmd,
        *args: object,
        on_response: Callable[[list[object]], None] | None = None,
    ) -> None:
        tsn = self.next_tsn()
        if on_response is not None:
            self._zdo_waiters[tsn] = on_response
        self._transmit(dst_nwk, 0, 0, 0x0000, command, zdo.encode(command, tsn, *args))

    def send_zcl(self, dst_ep: int, cluster_id: int, payload: bytes, dst_nwk: int = COORDINATOR_NWK) -> bool:
        return self._transmit(dst_nwk, self.endpoint, dst_ep, SE_PROFILE, cluster_id, payload)

    def reply(self, to: AirFrame, payload: bytes) -> bool:
        return self.send_zcl(to.src_ep, to.cluster_id, payload, dst_nwk=to.src_nwk)

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        self.reply(to, codec.default_response_to(zcl, status))

    def _transmit(self, dst_nwk: int, src_ep: int, dst_ep: int, profile: int, cluster: int, payload: bytes) -> bool:
        if not self.powered or self.nwk is None:
            return False
        frame: AirFrame | None = AirFrame(self.nwk, src_ep, dst_nwk, dst_ep, profile, cluster, payload, self.next_tsn())
        if self.security is not None:
            frame = self.security.outgoing(frame)  # type: ignore[arg-type]
            if frame is None:
                return False  # a Smart Energy frame it has no key for: not sent
        return self.world.air.transmit(frame)  # type: ignore[arg-type]

    # -- ZCL helpers models use -------------------------------------------------------
    def answer_basic(self, frame: AirFrame, zcl: ZclFrame) -> None:
        """Basic cluster Read Attributes: manufacturer, model, firmware."""
        values = {
            0x0000: (foundation.DataTypeId.uint8, 3),  # ZCL version
            0x0004: (foundation.DataTypeId.string, self.manufacturer),
            0x0005: (foundation.DataTypeId.string, self.model),
            0x0007: (foundation.DataTypeId.enum8, 0x01),  # mains powered
            0x4000: (foundation.DataTypeId.string, self.firmware),
        }
        self.reply(frame, read_attributes_rsp(zcl, values))
