"""A simulated IHD whose install code differs from its profile's (a mislabelled unit)."""

from __future__ import annotations

from harness.sim.devices.ihd import ReferenceIHD


class WrongInstallCode(ReferenceIHD):
    def link_key(self) -> bytes | None:
        return bytes(16)
