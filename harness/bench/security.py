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

from typing import Protocol

import zigpy.types as zt

from harness.errors import BenchError
from harness.esi.key_establishment import TrustCentreKeyEstablishment
from harness.profile import Profile, SecurityMode
from harness.radio.coordinator import Coordinator
from harness.radio.link_keys import install_link_key, set_tc_requires_key_exchange
from harness.security import cbke
from harness.security.responder import EstablishedKey


class LinkSecurity(Protocol):
    established_at: float | None

    @property
    def busy(self) -> bool: ...

    async def before_join(self, coordinator: Coordinator, endpoint: int) -> None: ...

    async def after_join(self, nwk: int, waiter: object, joined_at: float) -> None: ...

    def derived_keys(self) -> list[bytes]: ...

    def blocked_because(self) -> str | None: ...


class NoLinkSecurity:
    """install_code / well_known_link_key: NWK security only, as before CBKE existed."""

    established_at: float | None = None
    busy = False

    async def before_join(self, coordinator: Coordinator, endpoint: int) -> None:
        return None

    async def after_join(self, nwk: int, waiter: object, joined_at: float) -> None:
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
        if key.peer_ieee == self.unit_ieee:
            self.established_at = key.at

    async def after_join(self, nwk: int, waiter: object, joined_at: float) -> None:
        self.joined_at = joined_at
        within = self.profile.radio.cbke.establish_within.total_seconds()  # type: ignore[union-attr]
        remaining = max(0.0, joined_at + within - waiter.now())  # type: ignore[attr-defined]
        try:
            await waiter.until(lambda: self.established_at is not None, remaining, "the unit's CBKE")  # type: ignore[attr-defined]
        except TimeoutError:
            pass  # judged by SEC-01; the other cases are broken (blocked_because)

    def derived_keys(self) -> list[bytes]:
        return list(self._keys)

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


class UnitNotSecured(BenchError):
    """radio.security cbke, and the unit never completed CBKE: no Smart Energy case can be judged."""
