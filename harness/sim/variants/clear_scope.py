"""Fault variants for the SCOPE cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
Both run on a dual-fuel home: what a CoT from the GPF alone clears is behaviour.clear_scope.
"""

from __future__ import annotations

from harness.domain import Fuel
from harness.sim.air import AirFrame
from harness.sim.devices.ihd import DualFuelIHD
from harness.sim.devices.reference import ALL_FUELS, Meter
from harness.sim.variants.spec import DUAL, VariantSpec, _v
from harness.zcl.codec import ZclFrame

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


class GpfQueryClearsGasOnlyAlthoughScopeAll(DualFuelIHD):
    """Declared clear_scope all, and a CoT pushed by the GPF clears everything, but one learnt
    from the answer to its own query of the GPF goes through the gas poll task, which owns
    the gas screens only: the electricity data stays (when both meters answer with the CoT,
    the ESME's answer clears it)."""

    _gas_answer = False

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meter_of(frame)
        self._gas_answer = meter is not None and meter.fuel is Fuel.GAS
        try:
            super()._on_get_cot_answer(frame, zcl)
        finally:
            self._gas_answer = False

    def scope_of(self, meter: Meter) -> str:
        return str(Fuel.GAS) if self._gas_answer else super().scope_of(meter)

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        # An event it has actioned for every fuel has been actioned for gas too.
        return super().is_new_event(issuer_event_id, scope) and super().is_new_event(issuer_event_id, ALL_FUELS)


ROWS: tuple[VariantSpec, ...] = (
    _v(ClearsOnlyGasAlthoughScopeAll, DUAL, "SCOPE-01"),
    # Right on a push: only SCOPE-01's round learning the GPF's CoT alone by query catches it.
    _v(GpfQueryClearsGasOnlyAlthoughScopeAll, DUAL, "SCOPE-01"),
    _v(ClearsEverythingAlthoughScopeFuel, DUAL_FUEL_SCOPE, "SCOPE-02"),
    # Right on the GPF's CoT alone: only SCOPE-02's round with the ESME alone catches it.
    _v(EsmeCotClearsAllAlthoughScopeFuel, DUAL_FUEL_SCOPE, "SCOPE-02"),
)
