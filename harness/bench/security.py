"""The bench's link security with the unit: nothing to do (install_code, well_known_link_key),
or CBKE (radio.security cbke): the harness is the trust centre.

With CBKE the bench, before the unit joins, turns off Z-Stack's Zigbee 3.0 key-exchange
requirement and puts the Key Establishment server on the first ESI endpoint; after the join
it waits (radio.cbke.establish_within) for the unit's exchange to confirm a key, which the
server has installed in the stick (harness.radio.link_keys) and the coordinator then uses
for every Smart Energy frame to the unit (Coordinator.secured_peers). A unit that does not
complete CBKE leaves the bench unsecured: SEC-01 judges that; every other case is then
broken, naming SEC-01 (`blocked_because`).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import zigpy.types as zt
from zigpy.util import convert_install_code

from harness.errors import BenchError, FatalBenchError
from harness.esi.key_establishment import Tamper, TrustCentreKeyEstablishment
from harness.profile import Profile, SecurityMode
from harness.profile.sections import Cbke
from harness.radio.coordinator import Coordinator, Waiter
from harness.radio.link_keys import install_link_key, set_tc_requires_key_exchange
from harness.radio.trace import sent_by
from harness.security import cbke
from harness.security.certificates import parse_certificate
from harness.security.responder import EstablishedKey, KeyEstablishmentServer
from harness.security.test_ca import harness_test_ca, other_ca
from harness.zcl import ids

REJOIN_WINDOW_S = 180  # permit-join opened for the unit's install-code join after a provoked leave
# Real seconds the bench waits on zigpy's Mgmt_Leave_req: zigpy's own reply timeout ends it
# first (its error is the one reported); this only bounds a request that never returns.
LEAVE_CONFIRM_S = 60.0


class LinkSecurity(Protocol):
    established_at: float | None

    @property
    def busy(self) -> bool: ...

    async def before_join(self, coordinator: Coordinator, endpoint: int) -> None: ...

    async def after_join(self, nwk: int, waiter: Waiter, joined_at: float) -> None: ...

    def derived_keys(self) -> list[bytes]: ...

    def blocked_because(self) -> str | None: ...


class NoLinkSecurity:
    """install_code / well_known_link_key: NWK security only, as before CBKE existed."""

    established_at: float | None = None
    busy = False

    async def before_join(self, coordinator: Coordinator, endpoint: int) -> None:
        return None

    async def after_join(self, nwk: int, waiter: Waiter, joined_at: float) -> None:
        return None

    def derived_keys(self) -> list[bytes]:
        return []

    def blocked_because(self) -> str | None:
        return None


def identities(profile: Profile) -> dict[int, cbke.Identity]:
    settings = profile.radio.cbke
    assert settings is not None  # the profile rules require it with security cbke
    found: dict[int, cbke.Identity] = {}
    for suite in (1, 2):
        credential = settings.credential(suite)
        if credential is not None:
            found[suite] = cbke.Identity(
                bytes.fromhex(credential.certificate),
                bytes.fromhex(credential.private_key.get_secret_value()),
                bytes.fromhex(credential.ca_public_key),
            )
    return found


class CbkeLinkSecurity:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.unit_ieee = bytes.fromhex(profile.identity.ieee.replace(":", ""))
        self.server: TrustCentreKeyEstablishment | None = None
        self.coordinator: Coordinator | None = None
        self.established_at: float | None = None  # bench time the unit's key was confirmed
        self.joined_at: float | None = None
        self._keys: list[bytes] = []  # every key derived this run: for the secret scan only
        self._genuine: KeyEstablishmentServer | None = None
        self._provoked_mark = 0

    @property
    def busy(self) -> bool:
        return self.server is not None and self.server.busy

    async def before_join(self, coordinator: Coordinator, endpoint: int) -> None:
        assert coordinator.app is not None
        self.coordinator = coordinator
        # Z-Stack 3.x would remove a joiner that never does the Zigbee 3.0 Request Key
        # exchange; a GB device replaces its key by CBKE instead.
        await set_tc_requires_key_exchange(coordinator.app, False)
        self.server = TrustCentreKeyEstablishment(coordinator, endpoint, identities(self.profile), self._install)
        coordinator.app.add_claimer(self.server.claim)

    async def _install(self, key: EstablishedKey, nwk: int) -> None:
        coordinator = self.coordinator
        assert coordinator is not None and coordinator.app is not None
        self._keys.append(key.link_key)
        await install_link_key(coordinator.app, zt.EUI64(key.peer_ieee[::-1]), key.link_key)
        coordinator.secured_peers.add(nwk)
        if key.peer_ieee == self.unit_ieee and self.established_at is None:
            self.established_at = key.at  # the session's first: SEC-01 judges the join's exchange

    async def after_join(self, nwk: int, waiter: Waiter, joined_at: float) -> None:
        self.joined_at = joined_at
        within = self._settings().establish_within.total_seconds()
        remaining = max(0.0, joined_at + within - waiter.now())
        try:
            await waiter.until(lambda: self.established_at is not None, remaining, "the unit's CBKE")
        except TimeoutError:
            pass  # judged by SEC-01; the other cases are broken (blocked_because)

    def derived_keys(self) -> list[bytes]:
        return list(self._keys)

    # -- a second exchange, provoked (SEC-05, SEC-06) ------------------------------------
    def foreign_responder(self) -> KeyEstablishmentServer:
        """A trust centre whose certificate another CA issued (harness.security.test_ca.other_ca)
        for the stick's own IEEE address: what a unit must refuse with UNKNOWN_ISSUER."""
        assert self.server is not None
        genuine = self.server.responder
        foreign = {}
        for suite, identity in genuine.identities.items():
            subject = parse_certificate(identity.certificate).subject
            issued = other_ca(suite).issue(subject)
            foreign[suite] = cbke.Identity(issued.certificate, issued.private_key, identity.ca_public_key)
        return KeyEstablishmentServer(foreign, genuine.timings, on_established=genuine.on_established, any_issuer=True)

    def impostor_responder(self) -> KeyEstablishmentServer | None:
        """A trust centre whose certificate the unit's own CA issued (the harness test CA) for
        another device's IEEE address than the stick's: what a unit must refuse with
        BAD_MESSAGE (a certificate whose subject is not the trust centre), or a device whose
        certificate any GB IHD holds could play trust centre. None when the trust centre's
        certificate (radio.cbke) is not from the harness test CA: the bench holds no other
        CA's private key, so it cannot issue one a unit of that CA would take for genuine."""
        assert self.server is not None
        genuine = self.server.responder
        impostor = {}
        for suite, identity in genuine.identities.items():
            ours = parse_certificate(identity.certificate)
            ca = harness_test_ca(suite)
            if ours.issuer != ca.issuer or identity.ca_public_key != ca.public_key:
                return None
            # The stick's address with its last octet changed: a device of this network, not it.
            other = ours.subject[:-1] + bytes([ours.subject[-1] ^ 0x5A])
            issued = ca.issue(other)
            impostor[suite] = cbke.Identity(issued.certificate, issued.private_key, identity.ca_public_key)
        return KeyEstablishmentServer(impostor, genuine.timings, on_established=genuine.on_established)

    async def provoke_cbke(self, responder: KeyEstablishmentServer | None = None, tamper: Tamper | None = None) -> None:
        """Make the unit run CBKE again, with `responder` (another trust centre) or its answers
        changed by `tamper`: the trust centre tells it to leave (Mgmt_Leave_req, no rejoin) and
        opens the network to its install code; it joins afresh and starts an exchange. The
        network is closed again once the exchange has begun."""
        coordinator, server = self.coordinator, self.server
        assert coordinator is not None and coordinator.app is not None and server is not None
        self._genuine = server.responder
        self._provoked_mark = coordinator.trace.mark()
        if responder is not None:
            server.responder = responder
        server.tamper = tamper
        ieee = zt.EUI64(self.unit_ieee[::-1])
        device = coordinator.app.get_device(ieee=ieee)
        unit_nwk = device.nwk  # the unit's link only: another peer's key is not the bench's to drop
        begun = len(server.responder.events)
        # zigpy's own request, awaited inside a bench wait: a stepped clock moves only while
        # the bench waits, so a Mgmt_Leave_rsp delayed on the air arrives (BenchLoop.until).
        leave = asyncio.ensure_future(device.zdo.leave(remove_children=False, rejoin=False))
        try:
            await coordinator.waiter.until(
                leave.done, LEAVE_CONFIRM_S, "the unit to confirm Mgmt_Leave_req", jump=False
            )
            leave.result()
        except Exception as error:
            leave.cancel()
            raise CbkeNotProvoked(f"the unit did not confirm Mgmt_Leave_req (leave, no rejoin): {error!r}") from None
        coordinator.secured_peers.discard(unit_nwk)  # until the unit is secured again
        joining = await coordinator.open_for(self.profile.identity.ieee, self._install_code_key(), REJOIN_WINDOW_S)
        try:
            within = self._settings().establish_within.total_seconds()
            await coordinator.waiter.until(
                lambda: len(server.responder.events) > begun, within, "the unit to join again and start CBKE"
            )
        except TimeoutError:
            raise CbkeNotProvoked(
                f"told to leave and let in again with its install code, the unit started no key establishment "
                f"within radio.cbke.establish_within ({within:g} s)"
            ) from None
        finally:
            await coordinator.close_joining(joining)

    async def restore(self) -> None:
        """The genuine trust centre again, and the unit secured with it: it holds the key the
        stick has, or runs CBKE again (after its failures it left: the network is opened to it)."""
        coordinator, server = self.coordinator, self.server
        assert coordinator is not None and server is not None
        server.responder = self._genuine
        server.tamper = None
        if self.unit_secured():
            return
        settings = self.profile.radio.cbke
        assert settings is not None
        count = len(server.established)
        within = settings.establish_within.total_seconds()
        joining = await coordinator.open_for(self.profile.identity.ieee, self._install_code_key(), REJOIN_WINDOW_S)
        try:
            await coordinator.waiter.until(
                lambda: len(server.established) > count or self.unit_secured(),
                within * settings.attempts,
                "the unit to be secured again",
            )
        except TimeoutError:
            raise CbkeNotRestored(
                "after the provoked key establishment the unit could not be secured again with the genuine "
                f"trust centre within radio.cbke.establish_within x attempts ({within * settings.attempts:g} s): "
                "no later Smart Energy case could be judged"
            ) from None
        finally:
            await coordinator.close_joining(joining)

    def unit_secured(self) -> bool:
        """The coordinator secures its frames to the unit (its NWK address now, in
        secured_peers: another peer's key says nothing of the unit's link), and since the unit's
        last Key Establishment frame (its last exchange) a frame of it arrived APS-secured: it
        uses the key the stick has. The unit's frames are told by its IEEE address: it left
        and joined again, perhaps under another NWK address."""
        coordinator = self.coordinator
        if coordinator is None or coordinator.app is None:
            return False
        device = coordinator.app.devices.get(zt.EUI64(self.unit_ieee[::-1]))
        if device is None or device.nwk not in coordinator.secured_peers:
            return False
        frames = sent_by(coordinator.trace.since(0), self.profile.identity.ieee, since=self._provoked_mark)
        last_ke = max((i for i, r in enumerate(frames) if r.cluster_id == ids.KEY_ESTABLISHMENT), default=None)
        if last_ke is None:
            return False  # the provoked exchange has not even begun
        return any(r.aps_secured for r in frames[last_ke + 1 :])

    def _settings(self) -> Cbke:
        settings = self.profile.radio.cbke
        assert settings is not None  # the profile rules require it with security cbke
        return settings

    def _install_code_key(self) -> bytes:
        code = self.profile.identity.install_code
        assert code is not None  # the profile rules require it with security cbke
        return bytes(convert_install_code(bytes.fromhex(code.get_secret_value())))

    def unit_key(self) -> EstablishedKey | None:
        return self.server.key_for(self.unit_ieee) if self.server is not None else None

    async def install_for_unit(self, key: bytes) -> None:
        """Put `key` in the stick as the unit's link key (SEC-04 installs the install-code key
        for one frame, then the CBKE key again)."""
        assert self.coordinator is not None and self.coordinator.app is not None
        await install_link_key(self.coordinator.app, zt.EUI64(self.unit_ieee[::-1]), key)

    def blocked_because(self) -> str | None:
        if self.established_at is not None:
            return None
        return (
            "the unit did not complete CBKE with the harness's trust centre within radio.cbke.establish_within, "
            "so it holds no link key for Smart Energy frames: see SEC-01"
        )


def link_security(profile: Profile) -> LinkSecurity:
    if profile.radio.security is SecurityMode.CBKE:
        return CbkeLinkSecurity(profile)
    return NoLinkSecurity()


class CbkeNotProvoked(BenchError):
    """The bench could not make the unit run key establishment again."""


class CbkeNotRestored(FatalBenchError):
    """After a provoked exchange the unit is not secured with the genuine trust centre again."""


class UnitNotSecured(BenchError):
    """radio.security cbke, and the unit never completed CBKE: no Smart Energy case can be judged."""
