"""Fault variants for the SCOPE cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
Both run on a dual-fuel home: what a CoT from the GPF alone clears is behaviour.clear_scope.
"""

from __future__ import annotations

from harness.domain import Fuel
from harness.sim.devices.ihd import DualFuelIHD
from harness.sim.devices.reference import ALL_FUELS, Meter
from harness.sim.variants.spec import DUAL, VariantSpec, _v

# The dual-fuel reference declaring clear_scope fuel.
DUAL_FUEL_SCOPE = "sim-dual-fuel-ihd-fuel-scope.yaml"


class ClearsOnlyGasAlthoughScopeAll(DualFuelIHD):
    """Declared clear_scope all, but a CoT from the GPF clears only the gas data (one from
    the ESME still clears everything)."""

    def scope_of(self, meter: Meter) -> str:
        return str(Fuel.GAS) if meter.fuel is Fuel.GAS else super().scope_of(meter)

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        # An event it has actioned for every fuel has been actioned for gas too.
        return super().is_new_event(issuer_event_id, scope) and super().is_new_event(issuer_event_id, ALL_FUELS)


class ClearsEverythingAlthoughScopeFuel(DualFuelIHD):
    """Declared clear_scope fuel, but a CoT from either meter clears every fuel's data."""

    def scope_of(self, meter: Meter) -> str:
        return ALL_FUELS


class EsmeCotClearsAllAlthoughScopeFuel(DualFuelIHD):
    """Declared clear_scope fuel, and a CoT from the GPF clears the gas data only, but it
    takes the ESME for the household's meter: a CoT from the ESME clears every fuel's data,
    the gas data too while the GPF holds no new CoT."""

    def scope_of(self, meter: Meter) -> str:
        return ALL_FUELS if meter.fuel is Fuel.ELECTRICITY else super().scope_of(meter)

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        # An event it has actioned for every fuel has been actioned for electricity too.
        if scope == str(Fuel.ELECTRICITY):
            return super().is_new_event(issuer_event_id, scope) and super().is_new_event(issuer_event_id, ALL_FUELS)
        return super().is_new_event(issuer_event_id, scope)


ROWS: tuple[VariantSpec, ...] = (
    _v(ClearsOnlyGasAlthoughScopeAll, DUAL, "SCOPE-01"),
    _v(ClearsEverythingAlthoughScopeFuel, DUAL_FUEL_SCOPE, "SCOPE-02"),
    # Right on the GPF's CoT alone: only SCOPE-02's round with the ESME alone catches it.
    _v(EsmeCotClearsAllAlthoughScopeFuel, DUAL_FUEL_SCOPE, "SCOPE-02"),
)
