"""Built-in fault variants: reference devices that break exactly one rule each.

A variant is named in a profile's simulation.model as "module:Class", the same mechanism a
user's own firmware model uses. Every conformance case is proven by a variant it catches.
"""

from __future__ import annotations

from harness.esi.tenant import DataClass
from harness.sim.devices.ihd import ReferenceIHD


class KeepsConsumptionHistory(ReferenceIHD):
    """Acknowledges the CoT but never clears the consumption history (caught by CLR-01)."""

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        if data_class is not DataClass.CONSUMPTION_HISTORY:
            super().clear(data_class, fuel)
