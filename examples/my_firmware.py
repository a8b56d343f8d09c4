"""A lab's own device model: one firmware behaviour, written as a variant of a reference device.

Named in a profile as simulation.model "examples.my_firmware:ForgetsGasHistory" (see
examples/my-firmware.yaml and docs/device-models.md). Import it from the repository root, or
put the folder holding `examples/` on PYTHONPATH.
"""

from __future__ import annotations

from harness.domain import DataClass, Fuel
from harness.sim.devices.ihd import DualFuelIHD


class ForgetsGasHistory(DualFuelIHD):
    """Clears the electricity consumption history on a CoT but keeps the gas history."""

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        if data_class is DataClass.CONSUMPTION_HISTORY:
            if fuel == Fuel.GAS:
                return  # a gas-only CoT (clear_scope: fuel) erases nothing of this log
            fuel = Fuel.ELECTRICITY  # the erase loop stops after the electricity log
        super().clear(data_class, fuel)
