"""Fault variants for the BENCH and PROF cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.variants.spec import IHD, VariantSpec, _v
from harness.zcl import ids

DEVICE_MANAGEMENT = ids.DEVICE_MANAGEMENT


class DescriptorWithoutDmClient(ReferenceIHD):
    """Its simple descriptor omits the Device Management client cluster it uses."""

    def output_clusters(self) -> list[int]:
        return [c for c in super().output_clusters() if c != DEVICE_MANAGEMENT]


class NeverJoins(ReferenceIHD):
    """Never joins the network (e.g. a wrong install code): a bench error, not a verdict."""

    def power_on(self) -> None:
        self.powered = True


ROWS: tuple[VariantSpec, ...] = (
    _v(NeverJoins, IHD, broken=("BENCH-01",), why="a unit that never joins is a bench error; the rest are blocked"),
    _v(DescriptorWithoutDmClient, IHD, "PROF-01"),
)
