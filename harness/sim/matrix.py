"""The fault-variant matrix: which case must catch each built-in variant.

Declarative data read by `cot-harness selftest`, the harness's own tests and the generated
catalogue. Each catalogue section's variants module declares its own rows (ROWS); this
module gathers them, bench cases first.
"""

from __future__ import annotations

from harness.sim.variants import (
    bench,
    clear_scope,
    clearing,
    device_management,
    implementation_time,
    meter,
    meter_robustness,
    no_spurious_clearing,
    query,
    robustness,
    security,
)
from harness.sim.variants.spec import DUAL, ESME, GPF, IHD, PPMID, SCHEDULED, VariantSpec

MATRIX: tuple[VariantSpec, ...] = (
    *bench.ROWS,
    *device_management.ROWS,
    *clearing.ROWS,
    *no_spurious_clearing.ROWS,
    *query.ROWS,
    *implementation_time.ROWS,
    *robustness.ROWS,
    *clear_scope.ROWS,
    *meter.ROWS,
    *meter_robustness.ROWS,
    *security.ROWS,
)
REFERENCES: tuple[str, ...] = (
    IHD,
    PPMID,
    DUAL,
    SCHEDULED,
    "sim-ihd-read-attributes.yaml",
    clear_scope.DUAL_FUEL_SCOPE,
    ESME,
    GPF,
    security.IHD_CBKE,
    security.PPMID_CBKE,
    security.IHD_CBKE_SUITE1,
    security.DUAL_CBKE,
)

__all__ = ["MATRIX", "REFERENCES", "VariantSpec"]
