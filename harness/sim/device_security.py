"""A GB device's Smart Energy security (radio.security cbke): CBKE with the trust centre after
its install-code join, then APS security under the derived link key.

What a GB IHD or PPMID does, for real: it finds the trust centre's Key Establishment server
(Match_Desc to the coordinator), runs harness.security.initiator's exchange with its own
certificate (issued by the harness's test CA for its IEEE address: harness.security.test_ca),
secures every Smart Energy frame but Basic, Identify, Time and Key Establishment with the
derived key (AES-CCM*, 4-octet MIC: harness.sim.aps_link), and ignores such frames that come
unsecured or under another key (the install-code key included). An exchange that fails is
tried again after the Terminate's wait time, `attempts` times in all (radio.cbke.attempts);
then the device leaves the network. The link key is kept in flash (a power cycle keeps it).

Fault variants subclass DeviceSecurity and override one hook (the client it runs, the key it
sends under, whether it starts at all, what it accepts) and name the subclass as their
node's `security_class`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import zigpy.zdo.types as zdo_t

from harness.security import cbke
from harness.security.initiator import Established, Failed, KeyEstablishmentClient
from harness.security.responder import Reply
from harness.sim.air import COORDINATOR_NWK, AirFrame
from harness.sim.aps_link import SE_PROFILE, needs_aps_security, seal, unseal
from harness.sim.clock import TimerHandle
from harness.zcl import codec
from harness.zcl.attributes import read_values
from harness.zcl.codec import Direction, ZclFrame
from harness.zcl.ids import KEY_ESTABLISHMENT

if TYPE_CHECKING:
    from harness.sim.node import SimNode

RETRY_AFTER_MIN = 1.0  # seconds, when the Terminate said 0


class DeviceSecurity:
    def __init__(self, node: SimNode, identity: cbke.Identity, trust_centre_ieee: bytes, attempts: int) -> None:
        self.node = node
        self.identity = identity
        self.trust_centre_ieee = trust_centre_ieee
        self.attempts = attempts
        self.link_key: bytes | None = None  # flash: survives a power cycle
        self.frame_counter = 0
        self.client: KeyEstablishmentClient | None = None
        self.tries = 0
        self.ke_endpoint: int | None = None
        self.ignored = 0  # Smart Energy frames dropped: unsecured or under another key
        self.outcomes: list[Established | Failed] = []
        self._then: Callable[[], None] | None = None
        self._timer: TimerHandle | None = None

    @property
    def ready(self) -> bool:
        return self.link_key is not None

    # -- the hooks a variant overrides -----------------------------------------------
    def make_client(self) -> KeyEstablishmentClient:
        return KeyEstablishmentClient(self.identity, self.trust_centre_ieee)

    def starts_cbke(self) -> bool:
        return True

    def sending_key(self) -> bytes | None:
        """The key its Smart Energy frames go under (None: it sends none)."""
        return self.link_key

    def receiving_key(self) -> bytes | None:
        """The key it opens secured frames with."""
        return self.link_key

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        """Whether an unsecured frame on a cluster that needs APS security is acted on."""
        return False

    # -- the exchange ----------------------------------------------------------------
    def establish(self, then: Callable[[], None]) -> None:
        """Run CBKE, then `then()` (the device's own start once it holds the key)."""
        self._then = then
        self.tries = 0
        if self.starts_cbke():
            self._find_server()

    def _find_server(self) -> None:
        self.node.send_zdo(
            COORDINATOR_NWK,
            zdo_t.ZDOCmd.Match_Desc_req,
            COORDINATOR_NWK,
            SE_PROFILE,
            [KEY_ESTABLISHMENT],
            [],
            on_response=self._on_match,
        )

    def _on_match(self, args: list[object]) -> None:
        status, endpoints = args[0], args[2]
        if status != zdo_t.Status.SUCCESS or not endpoints:  # type: ignore[arg-type]
            self._leave()  # no Key Establishment server: a GB device cannot be secured here
            return
        self.ke_endpoint = int(endpoints[0])  # type: ignore[index]
        # Which suites the trust centre offers (attribute 0x0000), before offering its own.
        payload = codec.build(
            KEY_ESTABLISHMENT,
            "read_attributes",
            tsn=self.node.next_tsn(),
            direction=Direction.TO_SERVER,
            attribute_ids=[0x0000],
        )
        self.node.send_zcl(self.ke_endpoint, KEY_ESTABLISHMENT, payload)

    def _on_suites(self, zcl: ZclFrame) -> None:
        offered = read_values(zcl).get(0x0000)
        if offered is None or not int(offered) & (1 << (self.identity.suite - 1)):  # type: ignore[call-overload]
            self._leave()  # its suite is not offered: it cannot be secured on this network
            return
        if self.client is None and self.link_key is None:
            self._start()

    def _start(self) -> None:
        self.tries += 1
        self.client = self.make_client()
        self._send(self.client.start(self.node.world.clock.now()))
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        client = self.client
        if client is not None and client.deadline is not None:
            self._timer = self.node.world.clock.call_at(client.deadline + 0.001, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.client is not None and self.node.powered:
            self.client.expire(self.node.world.clock.now())
            self._settle()

    def on_key_establishment(self, zcl: ZclFrame) -> None:
        if zcl.command_name == "read_attributes_rsp":
            self._on_suites(zcl)
            return
        client = self.client
        if client is None or zcl.direction is not Direction.TO_CLIENT or not zcl.is_cluster_specific:
            return
        reply = client.receive(zcl.command_name, zcl.fields, self.node.world.clock.now())
        if reply is not None:
            self._send(reply)
        self._arm()
        self._settle()

    def _settle(self) -> None:
        client = self.client
        if client is None or client.outcome is None:
            return
        outcome = client.outcome
        self.client = None
        self.outcomes.append(outcome)
        if isinstance(outcome, Established):
            self.link_key = outcome.link_key
            if self._then is not None:
                then, self._then = self._then, None
                then()
            return
        if self.tries >= self.attempts:
            self._leave()
            return
        self.node.world.clock.call_later(max(float(outcome.wait_time), RETRY_AFTER_MIN), self._retry)

    def _retry(self) -> None:
        if self.node.powered and self.node.nwk is not None and self.link_key is None:
            self._start()

    def _send(self, reply: Reply) -> None:
        assert self.ke_endpoint is not None
        payload = codec.build(
            KEY_ESTABLISHMENT, reply.command, tsn=self.node.next_tsn(), direction=Direction.TO_SERVER, **reply.fields
        )
        self.node.send_zcl(self.ke_endpoint, KEY_ESTABLISHMENT, payload)

    def _leave(self) -> None:
        self.node.leave_network()

    def forget(self) -> None:
        """Told to leave: its link key goes with the network (the next join runs CBKE again)."""
        self.on_power_off()
        self.link_key = None
        self._then = None

    def on_power_off(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.client = None  # an exchange in RAM is lost; the key (flash) is not

    # -- APS security on every frame ---------------------------------------------------
    def outgoing(self, frame: AirFrame) -> AirFrame | None:
        if not needs_aps_security(frame):
            return frame
        key = self.sending_key()
        if key is None:
            return None  # no Smart Energy frame before the key exists
        self.frame_counter += 1
        return seal(frame, link_key=key, frame_counter=self.frame_counter, source_ieee=self.node.ieee.serialize()[::-1])

    def incoming(self, frame: AirFrame) -> AirFrame | None:
        if frame.secured:
            key = self.receiving_key()
            opened = unseal(frame, link_key=key) if key is not None else None
            if opened is None:
                self.ignored += 1
            return opened
        if needs_aps_security(frame) and not self.accepts_unsecured(frame):
            self.ignored += 1
            return None
        return frame
