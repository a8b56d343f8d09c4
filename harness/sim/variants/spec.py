"""A matrix row: which case must catch a variant, on which reference profile, and why."""

from __future__ import annotations

import dataclasses

from harness.sim.node import SimNode


@dataclasses.dataclass(frozen=True)
class VariantSpec:
    model: type[SimNode]
    profile: str  # the reference profile (device_profiles/) it runs on
    failed: frozenset[str]  # cases that must fail on it (Allure "failed")
    broken: frozenset[str] = frozenset()  # cases that may be inconclusive on it (and why)
    why: str = ""
    may_fail: frozenset[str] = frozenset()  # later cases its fault also reaches (and why)
    blocks_rest: bool = False  # every other case may be broken (a fault no other case can be judged past)

    @property
    def judged_by(self) -> frozenset[str]:
        """The cases whose verdicts prove the variant caught: those it must fail, or, for a
        fault no case can judge past (a unit that never joins), those it must break."""
        return self.failed or self.broken

    @property
    def reference(self) -> str:
        return f"{self.model.__module__}:{self.model.__qualname__}"


def _v(
    model: type[SimNode],
    profile: str,
    *failed: str,
    broken: tuple[str, ...] = (),
    may_fail: tuple[str, ...] = (),
    why: str = "",
    blocks_rest: bool = False,
) -> VariantSpec:
    return VariantSpec(model, profile, frozenset(failed), frozenset(broken), why, frozenset(may_fail), blocks_rest)


IHD, PPMID, DUAL, SCHEDULED = "sim-ihd.yaml", "sim-ppmid.yaml", "sim-dual-fuel-ihd.yaml", "sim-ihd-scheduled.yaml"
ESME, GPF = "sim-esme.yaml", "sim-gpf.yaml"  # meters under test (the harness plays the IHD)
